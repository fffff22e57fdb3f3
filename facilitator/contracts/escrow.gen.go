// Code generated via abigen V2 - DO NOT EDIT.
// This file is a generated binding and any manual changes will be lost.

package contracts

import (
	"bytes"
	"errors"
	"math/big"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// Reference imports to suppress errors if they are not otherwise used.
var (
	_ = bytes.Equal
	_ = errors.New
	_ = big.NewInt
	_ = common.Big1
	_ = types.BloomLookup
	_ = abi.ConvertType
)

// AuthCaptureEscrowPaymentInfo is an auto generated low-level Go binding around an user-defined struct.
type AuthCaptureEscrowPaymentInfo struct {
	Operator            common.Address
	Payer               common.Address
	Receiver            common.Address
	Token               common.Address
	MaxAmount           *big.Int
	PreApprovalExpiry   *big.Int
	AuthorizationExpiry *big.Int
	RefundExpiry        *big.Int
	MinFeeBps           uint16
	MaxFeeBps           uint16
	FeeReceiver         common.Address
	Salt                *big.Int
}

// IMulticall3Call is an auto generated low-level Go binding around an user-defined struct.
type IMulticall3Call struct {
	Target   common.Address
	CallData []byte
}

// IMulticall3Result is an auto generated low-level Go binding around an user-defined struct.
type IMulticall3Result struct {
	Success    bool
	ReturnData []byte
}

// AuthCaptureEscrowMetaData contains all meta data concerning the AuthCaptureEscrow contract.
var AuthCaptureEscrowMetaData = bind.MetaData{
	ABI: "[{\"inputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"constructor\"},{\"inputs\":[{\"internalType\":\"uint48\",\"name\":\"timestamp\",\"type\":\"uint48\"},{\"internalType\":\"uint48\",\"name\":\"expiry\",\"type\":\"uint48\"}],\"name\":\"AfterAuthorizationExpiry\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"uint48\",\"name\":\"timestamp\",\"type\":\"uint48\"},{\"internalType\":\"uint48\",\"name\":\"expiry\",\"type\":\"uint48\"}],\"name\":\"AfterPreApprovalExpiry\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"uint48\",\"name\":\"timestamp\",\"type\":\"uint48\"},{\"internalType\":\"uint48\",\"name\":\"expiry\",\"type\":\"uint48\"}],\"name\":\"AfterRefundExpiry\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"},{\"internalType\":\"uint256\",\"name\":\"limit\",\"type\":\"uint256\"}],\"name\":\"AmountOverflow\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"uint48\",\"name\":\"timestamp\",\"type\":\"uint48\"},{\"internalType\":\"uint48\",\"name\":\"expiry\",\"type\":\"uint48\"}],\"name\":\"BeforeAuthorizationExpiry\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"},{\"internalType\":\"uint256\",\"name\":\"maxAmount\",\"type\":\"uint256\"}],\"name\":\"ExceedsMaxAmount\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"FailedDeployment\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"uint16\",\"name\":\"feeBps\",\"type\":\"uint16\"},{\"internalType\":\"uint16\",\"name\":\"minFeeBps\",\"type\":\"uint16\"},{\"internalType\":\"uint16\",\"name\":\"maxFeeBps\",\"type\":\"uint16\"}],\"name\":\"FeeBpsOutOfRange\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"uint16\",\"name\":\"feeBps\",\"type\":\"uint16\"}],\"name\":\"FeeBpsOverflow\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"paymentInfoHash\",\"type\":\"bytes32\"},{\"internalType\":\"uint256\",\"name\":\"authorizedAmount\",\"type\":\"uint256\"},{\"internalType\":\"uint256\",\"name\":\"requestedAmount\",\"type\":\"uint256\"}],\"name\":\"InsufficientAuthorization\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"balance\",\"type\":\"uint256\"},{\"internalType\":\"uint256\",\"name\":\"needed\",\"type\":\"uint256\"}],\"name\":\"InsufficientBalance\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"InvalidCollectorForOperation\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"uint48\",\"name\":\"preApproval\",\"type\":\"uint48\"},{\"internalType\":\"uint48\",\"name\":\"authorization\",\"type\":\"uint48\"},{\"internalType\":\"uint48\",\"name\":\"refund\",\"type\":\"uint48\"}],\"name\":\"InvalidExpiries\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"uint16\",\"name\":\"minFeeBps\",\"type\":\"uint16\"},{\"internalType\":\"uint16\",\"name\":\"maxFeeBps\",\"type\":\"uint16\"}],\"name\":\"InvalidFeeBpsRange\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"attempted\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"expected\",\"type\":\"address\"}],\"name\":\"InvalidFeeReceiver\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"sender\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"expected\",\"type\":\"address\"}],\"name\":\"InvalidSender\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"paymentInfoHash\",\"type\":\"bytes32\"}],\"name\":\"PaymentAlreadyCollected\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"Reentrancy\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"refund\",\"type\":\"uint256\"},{\"internalType\":\"uint256\",\"name\":\"captured\",\"type\":\"uint256\"}],\"name\":\"RefundExceedsCapture\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"TokenCollectionFailed\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"ZeroAmount\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"paymentInfoHash\",\"type\":\"bytes32\"}],\"name\":\"ZeroAuthorization\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"ZeroFeeReceiver\",\"type\":\"error\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"paymentInfoHash\",\"type\":\"bytes32\"},{\"components\":[{\"internalType\":\"address\",\"name\":\"operator\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"payer\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"receiver\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"token\",\"type\":\"address\"},{\"internalType\":\"uint120\",\"name\":\"maxAmount\",\"type\":\"uint120\"},{\"internalType\":\"uint48\",\"name\":\"preApprovalExpiry\",\"type\":\"uint48\"},{\"internalType\":\"uint48\",\"name\":\"authorizationExpiry\",\"type\":\"uint48\"},{\"internalType\":\"uint48\",\"name\":\"refundExpiry\",\"type\":\"uint48\"},{\"internalType\":\"uint16\",\"name\":\"minFeeBps\",\"type\":\"uint16\"},{\"internalType\":\"uint16\",\"name\":\"maxFeeBps\",\"type\":\"uint16\"},{\"internalType\":\"address\",\"name\":\"feeReceiver\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"salt\",\"type\":\"uint256\"}],\"indexed\":false,\"internalType\":\"structAuthCaptureEscrow.PaymentInfo\",\"name\":\"paymentInfo\",\"type\":\"tuple\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"},{\"indexed\":false,\"internalType\":\"address\",\"name\":\"tokenCollector\",\"type\":\"address\"}],\"name\":\"PaymentAuthorized\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"paymentInfoHash\",\"type\":\"bytes32\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"},{\"indexed\":false,\"internalType\":\"uint16\",\"name\":\"feeBps\",\"type\":\"uint16\"},{\"indexed\":false,\"internalType\":\"address\",\"name\":\"feeReceiver\",\"type\":\"address\"}],\"name\":\"PaymentCaptured\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"paymentInfoHash\",\"type\":\"bytes32\"},{\"components\":[{\"internalType\":\"address\",\"name\":\"operator\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"payer\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"receiver\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"token\",\"type\":\"address\"},{\"internalType\":\"uint120\",\"name\":\"maxAmount\",\"type\":\"uint120\"},{\"internalType\":\"uint48\",\"name\":\"preApprovalExpiry\",\"type\":\"uint48\"},{\"internalType\":\"uint48\",\"name\":\"authorizationExpiry\",\"type\":\"uint48\"},{\"internalType\":\"uint48\",\"name\":\"refundExpiry\",\"type\":\"uint48\"},{\"internalType\":\"uint16\",\"name\":\"minFeeBps\",\"type\":\"uint16\"},{\"internalType\":\"uint16\",\"name\":\"maxFeeBps\",\"type\":\"uint16\"},{\"internalType\":\"address\",\"name\":\"feeReceiver\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"salt\",\"type\":\"uint256\"}],\"indexed\":false,\"internalType\":\"structAuthCaptureEscrow.PaymentInfo\",\"name\":\"paymentInfo\",\"type\":\"tuple\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"},{\"indexed\":false,\"internalType\":\"address\",\"name\":\"tokenCollector\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"uint16\",\"name\":\"feeBps\",\"type\":\"uint16\"},{\"indexed\":false,\"internalType\":\"address\",\"name\":\"feeReceiver\",\"type\":\"address\"}],\"name\":\"PaymentCharged\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"paymentInfoHash\",\"type\":\"bytes32\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"}],\"name\":\"PaymentReclaimed\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"paymentInfoHash\",\"type\":\"bytes32\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"},{\"indexed\":false,\"internalType\":\"address\",\"name\":\"tokenCollector\",\"type\":\"address\"}],\"name\":\"PaymentRefunded\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"paymentInfoHash\",\"type\":\"bytes32\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"}],\"name\":\"PaymentVoided\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"address\",\"name\":\"operator\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"address\",\"name\":\"tokenStore\",\"type\":\"address\"}],\"name\":\"TokenStoreCreated\",\"type\":\"event\"},{\"inputs\":[],\"name\":\"PAYMENT_INFO_TYPEHASH\",\"outputs\":[{\"internalType\":\"bytes32\",\"name\":\"\",\"type\":\"bytes32\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"components\":[{\"internalType\":\"address\",\"name\":\"operator\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"payer\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"receiver\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"token\",\"type\":\"address\"},{\"internalType\":\"uint120\",\"name\":\"maxAmount\",\"type\":\"uint120\"},{\"internalType\":\"uint48\",\"name\":\"preApprovalExpiry\",\"type\":\"uint48\"},{\"internalType\":\"uint48\",\"name\":\"authorizationExpiry\",\"type\":\"uint48\"},{\"internalType\":\"uint48\",\"name\":\"refundExpiry\",\"type\":\"uint48\"},{\"internalType\":\"uint16\",\"name\":\"minFeeBps\",\"type\":\"uint16\"},{\"internalType\":\"uint16\",\"name\":\"maxFeeBps\",\"type\":\"uint16\"},{\"internalType\":\"address\",\"name\":\"feeReceiver\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"salt\",\"type\":\"uint256\"}],\"internalType\":\"structAuthCaptureEscrow.PaymentInfo\",\"name\":\"paymentInfo\",\"type\":\"tuple\"},{\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"},{\"internalType\":\"address\",\"name\":\"tokenCollector\",\"type\":\"address\"},{\"internalType\":\"bytes\",\"name\":\"collectorData\",\"type\":\"bytes\"}],\"name\":\"authorize\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"components\":[{\"internalType\":\"address\",\"name\":\"operator\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"payer\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"receiver\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"token\",\"type\":\"address\"},{\"internalType\":\"uint120\",\"name\":\"maxAmount\",\"type\":\"uint120\"},{\"internalType\":\"uint48\",\"name\":\"preApprovalExpiry\",\"type\":\"uint48\"},{\"internalType\":\"uint48\",\"name\":\"authorizationExpiry\",\"type\":\"uint48\"},{\"internalType\":\"uint48\",\"name\":\"refundExpiry\",\"type\":\"uint48\"},{\"internalType\":\"uint16\",\"name\":\"minFeeBps\",\"type\":\"uint16\"},{\"internalType\":\"uint16\",\"name\":\"maxFeeBps\",\"type\":\"uint16\"},{\"internalType\":\"address\",\"name\":\"feeReceiver\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"salt\",\"type\":\"uint256\"}],\"internalType\":\"structAuthCaptureEscrow.PaymentInfo\",\"name\":\"paymentInfo\",\"type\":\"tuple\"},{\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"},{\"internalType\":\"uint16\",\"name\":\"feeBps\",\"type\":\"uint16\"},{\"internalType\":\"address\",\"name\":\"feeReceiver\",\"type\":\"address\"}],\"name\":\"capture\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"components\":[{\"internalType\":\"address\",\"name\":\"operator\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"payer\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"receiver\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"token\",\"type\":\"address\"},{\"internalType\":\"uint120\",\"name\":\"maxAmount\",\"type\":\"uint120\"},{\"internalType\":\"uint48\",\"name\":\"preApprovalExpiry\",\"type\":\"uint48\"},{\"internalType\":\"uint48\",\"name\":\"authorizationExpiry\",\"type\":\"uint48\"},{\"internalType\":\"uint48\",\"name\":\"refundExpiry\",\"type\":\"uint48\"},{\"internalType\":\"uint16\",\"name\":\"minFeeBps\",\"type\":\"uint16\"},{\"internalType\":\"uint16\",\"name\":\"maxFeeBps\",\"type\":\"uint16\"},{\"internalType\":\"address\",\"name\":\"feeReceiver\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"salt\",\"type\":\"uint256\"}],\"internalType\":\"structAuthCaptureEscrow.PaymentInfo\",\"name\":\"paymentInfo\",\"type\":\"tuple\"},{\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"},{\"internalType\":\"address\",\"name\":\"tokenCollector\",\"type\":\"address\"},{\"internalType\":\"bytes\",\"name\":\"collectorData\",\"type\":\"bytes\"},{\"internalType\":\"uint16\",\"name\":\"feeBps\",\"type\":\"uint16\"},{\"internalType\":\"address\",\"name\":\"feeReceiver\",\"type\":\"address\"}],\"name\":\"charge\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"components\":[{\"internalType\":\"address\",\"name\":\"operator\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"payer\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"receiver\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"token\",\"type\":\"address\"},{\"internalType\":\"uint120\",\"name\":\"maxAmount\",\"type\":\"uint120\"},{\"internalType\":\"uint48\",\"name\":\"preApprovalExpiry\",\"type\":\"uint48\"},{\"internalType\":\"uint48\",\"name\":\"authorizationExpiry\",\"type\":\"uint48\"},{\"internalType\":\"uint48\",\"name\":\"refundExpiry\",\"type\":\"uint48\"},{\"internalType\":\"uint16\",\"name\":\"minFeeBps\",\"type\":\"uint16\"},{\"internalType\":\"uint16\",\"name\":\"maxFeeBps\",\"type\":\"uint16\"},{\"internalType\":\"address\",\"name\":\"feeReceiver\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"salt\",\"type\":\"uint256\"}],\"internalType\":\"structAuthCaptureEscrow.PaymentInfo\",\"name\":\"paymentInfo\",\"type\":\"tuple\"}],\"name\":\"getHash\",\"outputs\":[{\"internalType\":\"bytes32\",\"name\":\"\",\"type\":\"bytes32\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"operator\",\"type\":\"address\"}],\"name\":\"getTokenStore\",\"outputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"paymentInfoHash\",\"type\":\"bytes32\"}],\"name\":\"paymentState\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"hasCollectedPayment\",\"type\":\"bool\"},{\"internalType\":\"uint120\",\"name\":\"capturableAmount\",\"type\":\"uint120\"},{\"internalType\":\"uint120\",\"name\":\"refundableAmount\",\"type\":\"uint120\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"components\":[{\"internalType\":\"address\",\"name\":\"operator\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"payer\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"receiver\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"token\",\"type\":\"address\"},{\"internalType\":\"uint120\",\"name\":\"maxAmount\",\"type\":\"uint120\"},{\"internalType\":\"uint48\",\"name\":\"preApprovalExpiry\",\"type\":\"uint48\"},{\"internalType\":\"uint48\",\"name\":\"authorizationExpiry\",\"type\":\"uint48\"},{\"internalType\":\"uint48\",\"name\":\"refundExpiry\",\"type\":\"uint48\"},{\"internalType\":\"uint16\",\"name\":\"minFeeBps\",\"type\":\"uint16\"},{\"internalType\":\"uint16\",\"name\":\"maxFeeBps\",\"type\":\"uint16\"},{\"internalType\":\"address\",\"name\":\"feeReceiver\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"salt\",\"type\":\"uint256\"}],\"internalType\":\"structAuthCaptureEscrow.PaymentInfo\",\"name\":\"paymentInfo\",\"type\":\"tuple\"}],\"name\":\"reclaim\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"components\":[{\"internalType\":\"address\",\"name\":\"operator\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"payer\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"receiver\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"token\",\"type\":\"address\"},{\"internalType\":\"uint120\",\"name\":\"maxAmount\",\"type\":\"uint120\"},{\"internalType\":\"uint48\",\"name\":\"preApprovalExpiry\",\"type\":\"uint48\"},{\"internalType\":\"uint48\",\"name\":\"authorizationExpiry\",\"type\":\"uint48\"},{\"internalType\":\"uint48\",\"name\":\"refundExpiry\",\"type\":\"uint48\"},{\"internalType\":\"uint16\",\"name\":\"minFeeBps\",\"type\":\"uint16\"},{\"internalType\":\"uint16\",\"name\":\"maxFeeBps\",\"type\":\"uint16\"},{\"internalType\":\"address\",\"name\":\"feeReceiver\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"salt\",\"type\":\"uint256\"}],\"internalType\":\"structAuthCaptureEscrow.PaymentInfo\",\"name\":\"paymentInfo\",\"type\":\"tuple\"},{\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"},{\"internalType\":\"address\",\"name\":\"tokenCollector\",\"type\":\"address\"},{\"internalType\":\"bytes\",\"name\":\"collectorData\",\"type\":\"bytes\"}],\"name\":\"refund\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"tokenStoreImplementation\",\"outputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"components\":[{\"internalType\":\"address\",\"name\":\"operator\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"payer\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"receiver\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"token\",\"type\":\"address\"},{\"internalType\":\"uint120\",\"name\":\"maxAmount\",\"type\":\"uint120\"},{\"internalType\":\"uint48\",\"name\":\"preApprovalExpiry\",\"type\":\"uint48\"},{\"internalType\":\"uint48\",\"name\":\"authorizationExpiry\",\"type\":\"uint48\"},{\"internalType\":\"uint48\",\"name\":\"refundExpiry\",\"type\":\"uint48\"},{\"internalType\":\"uint16\",\"name\":\"minFeeBps\",\"type\":\"uint16\"},{\"internalType\":\"uint16\",\"name\":\"maxFeeBps\",\"type\":\"uint16\"},{\"internalType\":\"address\",\"name\":\"feeReceiver\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"salt\",\"type\":\"uint256\"}],\"internalType\":\"structAuthCaptureEscrow.PaymentInfo\",\"name\":\"paymentInfo\",\"type\":\"tuple\"}],\"name\":\"void\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"}]",
	ID:  "7e9afb64d3e5c67b1f55285df2a1b07228",
	Bin: "0x60a0604052348015600e575f5ffd5b5030604051601a906053565b6001600160a01b039091168152602001604051809103905ff0801580156042573d5f5f3e3d5ffd5b506001600160a01b03166080526060565b6102ab80611ca983390190565b608051611c236100865f395f818161019e0152818161069601526114400152611c235ff3fe608060405234801561000f575f5ffd5b50600436106100a6575f3560e01c80639e65819f1161006e5780639e65819f14610186578063a834c89b14610199578063d458db5a146101c0578063e15d987a146101d3578063e1a2a66d146101fa578063fa1cad171461020d575f5ffd5b8063063a70ff146100aa57806334b778ed146100d057806341d6620214610133578063644cd79a146101485780639d3facde1461015b575b5f5ffd5b6100bd6100b836600461164e565b610220565b6040519081526020015b60405180910390f35b61010c6100de366004611669565b5f6020819052908152604090205460ff8116906001600160781b036101008204811691600160801b90041683565b6040805193151584526001600160781b0392831660208501529116908201526060016100c7565b6101466101413660046116e0565b61029e565b005b610146610156366004611760565b6103f4565b61016e6101693660046117af565b610675565b6040516001600160a01b0390911681526020016100c7565b6101466101943660046117c8565b610710565b61016e7f000000000000000000000000000000000000000000000000000000000000000081565b6101466101ce3660046116e0565b61087e565b6100bd7fae68ac7ce30c86ece8196b61a7c486d8f0061f575037fbd34e7fe4e2820c659181565b61014661020836600461164e565b610adb565b61014661021b36600461164e565b610c4a565b5f5f7fae68ac7ce30c86ece8196b61a7c486d8f0061f575037fbd34e7fe4e2820c6591836040516020016102559291906119a7565b60408051808303601f1901815282825280516020918201204682850152308484015260608085019190915282518085039091018152608090930190915281519101209392505050565b60ff5f5c16156102c15760405163558a1e0360e11b815260040160405180910390fd5b60015f805c60ff19168217905d506102dc60208601866117af565b336001600160a01b0382161461031b5760405163708986dd60e11b81523360048201526001600160a01b03821660248201526044015b60405180910390fd5b84805f0361033c57604051631f2a200560e01b815260040160405180910390fd5b6001600160781b0381111561037457604051633602215160e11b8152600481018290526001600160781b036024820152604401610312565b61037e8787610d0c565b5f61038888610220565b905061039581885f610f71565b807f1c81fb2e3bab27f6bb09bee9a0dddf61600b7cbaf2c12683e4864e0cbdb9d2848989896040516103c9939291906119bc565b60405180910390a26103df88888888885f610ff1565b505f91505060ff19815c16815d505050505050565b60ff5f5c16156104175760405163558a1e0360e11b815260040160405180910390fd5b60015f805c60ff19168217905d5061043260208501856117af565b336001600160a01b0382161461046c5760405163708986dd60e11b81523360048201526001600160a01b0382166024820152604401610312565b83805f0361048d57604051631f2a200560e01b815260040160405180910390fd5b6001600160781b038111156104c557604051633602215160e11b8152600481018290526001600160781b036024820152604401610312565b6104d0868585611224565b6104e060e0870160c088016119ec565b65ffffffffffff16421061052a57426104ff60e0880160c089016119ec565b6040516336f2d21160e01b815265ffffffffffff928316600482015291166024820152604401610312565b5f61053487610220565b5f81815260208190526040902080549192509061010090046001600160781b03168781101561058f5760405163604b094760e01b8152600481018490526001600160781b038216602482015260448101899052606401610312565b6105998882611a19565b8254610100600160801b0319166101006001600160781b039283160217808455899184916010916105d4918591600160801b90910416611a38565b92506101000a8154816001600160781b0302191690836001600160781b03160217905550827fe749f7bbd01b49bb05abf26ca492cb4dfdea6bedeada8a40fdccd478c73a74e289898960405161064a9392919092835261ffff9190911660208301526001600160a01b0316604082015260600190565b60405180910390a261065e89898989611386565b505f93505050815c60ff19169050815d5050505050565b6040513060388201526f5af43d82803e903d91602b57fd5bf3ff60248201527f00000000000000000000000000000000000000000000000000000000000000006014820152733d602d80600a3d3981f3363d3d373d3d3d363d7381526bffffffffffffffffffffffff19606083901b1660588201526037600c820120607882015260556043909101205f906001600160a01b03165b92915050565b60ff5f5c16156107335760405163558a1e0360e11b815260040160405180910390fd5b60015f805c60ff19168217905d5061074e60208801886117af565b336001600160a01b038216146107885760405163708986dd60e11b81523360048201526001600160a01b0382166024820152604401610312565b86805f036107a957604051631f2a200560e01b815260040160405180910390fd5b6001600160781b038111156107e157604051633602215160e11b8152600481018290526001600160781b036024820152604401610312565b6107eb8989610d0c565b6107f6898585611224565b5f6108008a610220565b905061080d815f8b610f71565b807f943ae4341dd799d7aeedc501f616cd26b134639e0bc2ec059581ba3ebbf1e7d08b8b8b8989604051610845959493929190611a57565b60405180910390a261085b8a8a8a8a8a5f610ff1565b6108678a8a8787611386565b505f91505060ff19815c16815d5050505050505050565b60ff5f5c16156108a15760405163558a1e0360e11b815260040160405180910390fd5b60015f805c60ff19168217905d506108bc60208601866117af565b336001600160a01b038216146108f65760405163708986dd60e11b81523360048201526001600160a01b0382166024820152604401610312565b84805f0361091757604051631f2a200560e01b815260040160405180910390fd5b6001600160781b0381111561094f57604051633602215160e11b8152600481018290526001600160781b036024820152604401610312565b610960610100880160e089016119ec565b65ffffffffffff1642106109ab5742610980610100890160e08a016119ec565b604051634a138def60e11b815265ffffffffffff928316600482015291166024820152604401610312565b5f6109b588610220565b5f818152602081905260409020805491925090600160801b90046001600160781b031688811015610a0b576040516318a5758160e21b8152600481018a90526001600160781b0382166024820152604401610312565b610a158982611a19565b82546001600160781b0391909116600160801b02600160801b600160f81b0319909116178255604080518a81526001600160a01b038a16602082015284917f1bf415371b303ca6b8bbb4ce479b177cba5ad15dbe0c9a7750a588aa6bcd25b2910160405180910390a2610a8d8a8a8a8a8a6001610ff1565b610ac3610a9d60208c018c6117af565b610aad60808d0160608e016117af565b610abd60408e0160208f016117af565b8c61141e565b505f93505050815c60ff19169050815d505050505050565b60ff5f5c1615610afe5760405163558a1e0360e11b815260040160405180910390fd5b60015f805c60ff19168217905d50610b1c60408201602083016117af565b336001600160a01b03821614610b565760405163708986dd60e11b81523360048201526001600160a01b0382166024820152604401610312565b610b6660e0830160c084016119ec565b65ffffffffffff16421015610bb15742610b8660e0840160c085016119ec565b60405163aa5674ad60e01b815265ffffffffffff928316600482015291166024820152604401610312565b5f610bbb83610220565b90505f610bc78261153a565b9050817f78e1d723d17e13b7f40eeab9bf6dd9148a630bafde4203ab7bb5fca983516d1782604051610bfb91815260200190565b60405180910390a2610c39610c1360208601866117af565b610c2360808701606088016117af565b610c3360408801602089016117af565b8461141e565b505f91505060ff19815c16815d5050565b60ff5f5c1615610c6d5760405163558a1e0360e11b815260040160405180910390fd5b60015f805c60ff19168217905d50610c8860208201826117af565b336001600160a01b03821614610cc25760405163708986dd60e11b81523360048201526001600160a01b0382166024820152604401610312565b5f610ccc83610220565b90505f610cd88261153a565b9050817fcadce8c3acb008e3e1c64ca7f60d22a3c87069183182b7dbb9e4d8cfb3a1584282604051610bfb91815260200190565b610d1c60a0830160808401611a9c565b6001600160781b0316811115610d685780610d3d60a0840160808501611a9c565b60405163049578cf60e11b815260048101929092526001600160781b03166024820152604401610312565b42610d7960c0840160a085016119ec565b65ffffffffffff168165ffffffffffff1610610dcb5780610da060c0850160a086016119ec565b60405163c46cf60f60e01b815265ffffffffffff928316600482015291166024820152604401610312565b610ddb60e0840160c085016119ec565b65ffffffffffff16610df360c0850160a086016119ec565b65ffffffffffff161180610e355750610e13610100840160e085016119ec565b65ffffffffffff16610e2b60e0850160c086016119ec565b65ffffffffffff16115b15610e9f57610e4a60c0840160a085016119ec565b610e5a60e0850160c086016119ec565b610e6b610100860160e087016119ec565b604051630447783b60e51b815265ffffffffffff938416600482015291831660248301529091166044820152606401610312565b612710610eb461014085016101208601611ab5565b61ffff161115610ef057610ed061014084016101208501611ab5565b60405163bf47e3f760e01b815261ffff9091166004820152602401610312565b610f0261014084016101208501611ab5565b61ffff16610f1861012085016101008601611ab5565b61ffff161115610f6c57610f3461012084016101008501611ab5565b610f4661014085016101208601611ab5565b60405162950d5d60e41b815261ffff928316600482015291166024820152604401610312565b505050565b5f838152602081905260409020805460ff1615610fa4576040516356be0a2d60e11b815260048101859052602401610312565b80546001600160781b03928316600160801b02600160801b600160f81b031993909416610100026fffffffffffffffffffffffffffffffff19909116176001179190911691909117905550565b80600181111561100357611003611ace565b846001600160a01b031663ccdafa116040518163ffffffff1660e01b8152600401602060405180830381865afa15801561103f573d5f5f3e3d5ffd5b505050506040513d601f19601f820116820180604052508101906110639190611ae2565b600181111561107457611074611ace565b1461109257604051635313287d60e01b815260040160405180910390fd5b5f6110a361016960208901896117af565b90505f6110b66080890160608a016117af565b6040516370a0823160e01b81526001600160a01b0384811660048301529192505f918316906370a0823190602401602060405180830381865afa1580156110ff573d5f5f3e3d5ffd5b505050506040513d601f19601f820116820180604052508101906111239190611b00565b60405163093108f160e31b81529091506001600160a01b0388169063498847889061115a908c9087908d908c908c90600401611b17565b5f604051808303815f87803b158015611171575f5ffd5b505af1158015611183573d5f5f3e3d5ffd5b5050505087816111939190611b72565b6040516370a0823160e01b81526001600160a01b0385811660048301528416906370a0823190602401602060405180830381865afa1580156111d7573d5f5f3e3d5ffd5b505050506040513d601f19601f820116820180604052508101906111fb9190611b00565b14611219576040516301e39e2560e51b815260040160405180910390fd5b505050505050505050565b61123661012084016101008501611ab5565b61ffff168261ffff161080611263575061125861014084016101208501611ab5565b61ffff168261ffff16115b156112bd578161127b61012085016101008601611ab5565b61128d61014086016101208701611ab5565b6040516302cd17c360e21b815261ffff938416600482015291831660248301529091166044820152606401610312565b61ffff8216158015906112d757506001600160a01b038116155b156112f55760405163b6802b7f60e01b815260040160405180910390fd5b5f611308610160850161014086016117af565b6001600160a01b031614158015611342575061132c610160840161014085016117af565b6001600160a01b0316816001600160a01b031614155b15610f6c578061135a610160850161014086016117af565b60405163132bda8d60e21b81526001600160a01b03928316600482015291166024820152604401610312565b5f61271061139861ffff851686611b85565b6113a29190611b9c565b905080156113d1576113d16113ba60208701876117af565b6113ca60808801606089016117af565b848461141e565b808414611417576114176113e860208701876117af565b6113f860808801606089016117af565b6114086060890160408a016117af565b6114128589611bbb565b61141e565b5050505050565b5f61142885610675565b9050806001600160a01b03163b5f036114ba576114787f0000000000000000000000000000000000000000000000000000000000000000606087901b6bffffffffffffffffffffffff191661158f565b506040516001600160a01b0382811682528616907fd8699a107a4fe8ea740423e52159bafb235249dce5c2df55fa265db06964d1369060200160405180910390a25b604051631cdacd5960e31b81526001600160a01b03858116600483015284811660248301526044820184905282169063e6d66ac8906064016020604051808303815f875af115801561150e573d5f5f3e3d5ffd5b505050506040513d601f19601f820116820180604052508101906115329190611bce565b505050505050565b5f818152602081905260408120805461010090046001600160781b03169182900361157b576040516349ddbd0960e11b815260048101849052602401610312565b8054610100600160801b0319169055919050565b5f61159b83835f6115a2565b9392505050565b5f814710156115cd5760405163cf47918160e01b815247600482015260248101839052604401610312565b763d602d80600a3d3981f3363d3d373d3d3d363d730000008460601b60e81c175f526e5af43d82803e903d91602b57fd5bf38460781b17602052826037600984f590506001600160a01b03811661159b5760405163b06ebf3d60e01b815260040160405180910390fd5b5f6101808284031215611648575f5ffd5b50919050565b5f610180828403121561165f575f5ffd5b61159b8383611637565b5f60208284031215611679575f5ffd5b5035919050565b80356001600160a01b0381168114611696575f5ffd5b919050565b5f5f83601f8401126116ab575f5ffd5b50813567ffffffffffffffff8111156116c2575f5ffd5b6020830191508360208285010111156116d9575f5ffd5b9250929050565b5f5f5f5f5f6101e086880312156116f5575f5ffd5b6116ff8787611637565b945061018086013593506117166101a08701611680565b92506101c086013567ffffffffffffffff811115611732575f5ffd5b61173e8882890161169b565b969995985093965092949392505050565b803561ffff81168114611696575f5ffd5b5f5f5f5f6101e08587031215611774575f5ffd5b61177e8686611637565b935061018085013592506117956101a0860161174f565b91506117a46101c08601611680565b905092959194509250565b5f602082840312156117bf575f5ffd5b61159b82611680565b5f5f5f5f5f5f5f610220888a0312156117df575f5ffd5b6117e98989611637565b965061018088013595506118006101a08901611680565b94506101c088013567ffffffffffffffff81111561181c575f5ffd5b6118288a828b0161169b565b909550935061183c90506101e0890161174f565b915061184b6102008901611680565b905092959891949750929550565b80356001600160781b0381168114611696575f5ffd5b803565ffffffffffff81168114611696575f5ffd5b61189e8261189183611680565b6001600160a01b03169052565b6118aa60208201611680565b6001600160a01b031660208301526118c460408201611680565b6001600160a01b031660408301526118de60608201611680565b6001600160a01b031660608301526118f860808201611859565b6001600160781b0316608083015261191260a0820161186f565b65ffffffffffff1660a083015261192b60c0820161186f565b65ffffffffffff1660c083015261194460e0820161186f565b65ffffffffffff1660e083015261195e610100820161174f565b61ffff16610100830152611975610120820161174f565b61ffff1661012083015261198c6101408201611680565b6001600160a01b031661014083015261016090810135910152565b8281526101a0810161159b6020830184611884565b6101c081016119cb8286611884565b6101808201939093526001600160a01b03919091166101a090910152919050565b5f602082840312156119fc575f5ffd5b61159b8261186f565b634e487b7160e01b5f52601160045260245ffd5b6001600160781b03828116828216039081111561070a5761070a611a05565b6001600160781b03818116838216019081111561070a5761070a611a05565b6102008101611a668288611884565b6101808201959095526001600160a01b039384166101a082015261ffff929092166101c08301529091166101e090910152919050565b5f60208284031215611aac575f5ffd5b61159b82611859565b5f60208284031215611ac5575f5ffd5b61159b8261174f565b634e487b7160e01b5f52602160045260245ffd5b5f60208284031215611af2575f5ffd5b81516002811061159b575f5ffd5b5f60208284031215611b10575f5ffd5b5051919050565b611b218187611884565b6001600160a01b0385166101808201526101a081018490526101e06101c08201819052810182905281836102008301375f81830161020090810191909152601f909201601f19160101949350505050565b8082018082111561070a5761070a611a05565b808202811582820484141761070a5761070a611a05565b5f82611bb657634e487b7160e01b5f52601260045260245ffd5b500490565b8181038181111561070a5761070a611a05565b5f60208284031215611bde575f5ffd5b8151801515811461159b575f5ffdfea264697066735822122055dbe2d39e8ca07a9f1dd432d9145a05a1714c82fc70b92a5e8bbdfe9500206464736f6c634300081c003360a0604052348015600e575f5ffd5b506040516102ab3803806102ab833981016040819052602b91603b565b6001600160a01b03166080526066565b5f60208284031215604a575f5ffd5b81516001600160a01b0381168114605f575f5ffd5b9392505050565b6080516102286100835f395f8181603d015260ab01526102285ff3fe608060405234801561000f575f5ffd5b5060043610610034575f3560e01c80634086573414610038578063e6d66ac81461007c575b5f5ffd5b61005f7f000000000000000000000000000000000000000000000000000000000000000081565b6040516001600160a01b0390911681526020015b60405180910390f35b61008f61008a3660046101b9565b61009f565b6040519015158152602001610073565b5f336001600160a01b037f000000000000000000000000000000000000000000000000000000000000000016146100e95760405163bde034f960e01b815260040160405180910390fd5b6100f48484846100fe565b5060019392505050565b61010b838383600161013c565b61013757604051635274afe760e01b81526001600160a01b038416600482015260240160405180910390fd5b505050565b60405163a9059cbb60e01b5f8181526001600160a01b038616600452602485905291602083604481808b5af1925060015f51148316610192578383151615610186573d5f823e3d81fd5b5f873b113d1516831692505b60405250949350505050565b80356001600160a01b03811681146101b4575f5ffd5b919050565b5f5f5f606084860312156101cb575f5ffd5b6101d48461019e565b92506101e26020850161019e565b915060408401359050925092509256fea2646970667358221220b6953f97375fd932a86191dbd566f9c0089b965590af744796f857e188e9707464736f6c634300081c0033",
}

// AuthCaptureEscrow is an auto generated Go binding around an Ethereum contract.
type AuthCaptureEscrow struct {
	abi abi.ABI
}

// GetABI returns the ABI associated with this contract binding.
func (c *AuthCaptureEscrow) GetABI() abi.ABI {
	return c.abi
}

// NewAuthCaptureEscrow creates a new instance of AuthCaptureEscrow.
func NewAuthCaptureEscrow() *AuthCaptureEscrow {
	parsed, err := AuthCaptureEscrowMetaData.ParseABI()
	if err != nil {
		panic(errors.New("invalid ABI: " + err.Error()))
	}
	return &AuthCaptureEscrow{abi: *parsed}
}

// Instance creates a wrapper for a deployed contract instance at the given address.
// Use this to create the instance object passed to abigen v2 library functions Call, Transact, etc.
func (c *AuthCaptureEscrow) Instance(backend bind.ContractBackend, addr common.Address) *bind.BoundContract {
	return bind.NewBoundContract(addr, c.abi, backend, backend, backend)
}

// PackPAYMENTINFOTYPEHASH is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xe15d987a.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function PAYMENT_INFO_TYPEHASH() view returns(bytes32)
func (authCaptureEscrow *AuthCaptureEscrow) PackPAYMENTINFOTYPEHASH() []byte {
	enc, err := authCaptureEscrow.abi.Pack("PAYMENT_INFO_TYPEHASH")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackPAYMENTINFOTYPEHASH is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xe15d987a.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function PAYMENT_INFO_TYPEHASH() view returns(bytes32)
func (authCaptureEscrow *AuthCaptureEscrow) TryPackPAYMENTINFOTYPEHASH() ([]byte, error) {
	return authCaptureEscrow.abi.Pack("PAYMENT_INFO_TYPEHASH")
}

// UnpackPAYMENTINFOTYPEHASH is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xe15d987a.
//
// Solidity: function PAYMENT_INFO_TYPEHASH() view returns(bytes32)
func (authCaptureEscrow *AuthCaptureEscrow) UnpackPAYMENTINFOTYPEHASH(data []byte) ([32]byte, error) {
	out, err := authCaptureEscrow.abi.Unpack("PAYMENT_INFO_TYPEHASH", data)
	if err != nil {
		return *new([32]byte), err
	}
	out0 := *abi.ConvertType(out[0], new([32]byte)).(*[32]byte)
	return out0, nil
}

// PackAuthorize is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x41d66202.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function authorize((address,address,address,address,uint120,uint48,uint48,uint48,uint16,uint16,address,uint256) paymentInfo, uint256 amount, address tokenCollector, bytes collectorData) returns()
func (authCaptureEscrow *AuthCaptureEscrow) PackAuthorize(paymentInfo AuthCaptureEscrowPaymentInfo, amount *big.Int, tokenCollector common.Address, collectorData []byte) []byte {
	enc, err := authCaptureEscrow.abi.Pack("authorize", paymentInfo, amount, tokenCollector, collectorData)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackAuthorize is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x41d66202.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function authorize((address,address,address,address,uint120,uint48,uint48,uint48,uint16,uint16,address,uint256) paymentInfo, uint256 amount, address tokenCollector, bytes collectorData) returns()
func (authCaptureEscrow *AuthCaptureEscrow) TryPackAuthorize(paymentInfo AuthCaptureEscrowPaymentInfo, amount *big.Int, tokenCollector common.Address, collectorData []byte) ([]byte, error) {
	return authCaptureEscrow.abi.Pack("authorize", paymentInfo, amount, tokenCollector, collectorData)
}

// PackCapture is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x644cd79a.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function capture((address,address,address,address,uint120,uint48,uint48,uint48,uint16,uint16,address,uint256) paymentInfo, uint256 amount, uint16 feeBps, address feeReceiver) returns()
func (authCaptureEscrow *AuthCaptureEscrow) PackCapture(paymentInfo AuthCaptureEscrowPaymentInfo, amount *big.Int, feeBps uint16, feeReceiver common.Address) []byte {
	enc, err := authCaptureEscrow.abi.Pack("capture", paymentInfo, amount, feeBps, feeReceiver)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackCapture is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x644cd79a.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function capture((address,address,address,address,uint120,uint48,uint48,uint48,uint16,uint16,address,uint256) paymentInfo, uint256 amount, uint16 feeBps, address feeReceiver) returns()
func (authCaptureEscrow *AuthCaptureEscrow) TryPackCapture(paymentInfo AuthCaptureEscrowPaymentInfo, amount *big.Int, feeBps uint16, feeReceiver common.Address) ([]byte, error) {
	return authCaptureEscrow.abi.Pack("capture", paymentInfo, amount, feeBps, feeReceiver)
}

// PackCharge is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x9e65819f.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function charge((address,address,address,address,uint120,uint48,uint48,uint48,uint16,uint16,address,uint256) paymentInfo, uint256 amount, address tokenCollector, bytes collectorData, uint16 feeBps, address feeReceiver) returns()
func (authCaptureEscrow *AuthCaptureEscrow) PackCharge(paymentInfo AuthCaptureEscrowPaymentInfo, amount *big.Int, tokenCollector common.Address, collectorData []byte, feeBps uint16, feeReceiver common.Address) []byte {
	enc, err := authCaptureEscrow.abi.Pack("charge", paymentInfo, amount, tokenCollector, collectorData, feeBps, feeReceiver)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackCharge is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x9e65819f.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function charge((address,address,address,address,uint120,uint48,uint48,uint48,uint16,uint16,address,uint256) paymentInfo, uint256 amount, address tokenCollector, bytes collectorData, uint16 feeBps, address feeReceiver) returns()
func (authCaptureEscrow *AuthCaptureEscrow) TryPackCharge(paymentInfo AuthCaptureEscrowPaymentInfo, amount *big.Int, tokenCollector common.Address, collectorData []byte, feeBps uint16, feeReceiver common.Address) ([]byte, error) {
	return authCaptureEscrow.abi.Pack("charge", paymentInfo, amount, tokenCollector, collectorData, feeBps, feeReceiver)
}

// PackGetHash is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x063a70ff.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function getHash((address,address,address,address,uint120,uint48,uint48,uint48,uint16,uint16,address,uint256) paymentInfo) view returns(bytes32)
func (authCaptureEscrow *AuthCaptureEscrow) PackGetHash(paymentInfo AuthCaptureEscrowPaymentInfo) []byte {
	enc, err := authCaptureEscrow.abi.Pack("getHash", paymentInfo)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackGetHash is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x063a70ff.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function getHash((address,address,address,address,uint120,uint48,uint48,uint48,uint16,uint16,address,uint256) paymentInfo) view returns(bytes32)
func (authCaptureEscrow *AuthCaptureEscrow) TryPackGetHash(paymentInfo AuthCaptureEscrowPaymentInfo) ([]byte, error) {
	return authCaptureEscrow.abi.Pack("getHash", paymentInfo)
}

// UnpackGetHash is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x063a70ff.
//
// Solidity: function getHash((address,address,address,address,uint120,uint48,uint48,uint48,uint16,uint16,address,uint256) paymentInfo) view returns(bytes32)
func (authCaptureEscrow *AuthCaptureEscrow) UnpackGetHash(data []byte) ([32]byte, error) {
	out, err := authCaptureEscrow.abi.Unpack("getHash", data)
	if err != nil {
		return *new([32]byte), err
	}
	out0 := *abi.ConvertType(out[0], new([32]byte)).(*[32]byte)
	return out0, nil
}

// PackGetTokenStore is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x9d3facde.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function getTokenStore(address operator) view returns(address)
func (authCaptureEscrow *AuthCaptureEscrow) PackGetTokenStore(operator common.Address) []byte {
	enc, err := authCaptureEscrow.abi.Pack("getTokenStore", operator)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackGetTokenStore is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x9d3facde.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function getTokenStore(address operator) view returns(address)
func (authCaptureEscrow *AuthCaptureEscrow) TryPackGetTokenStore(operator common.Address) ([]byte, error) {
	return authCaptureEscrow.abi.Pack("getTokenStore", operator)
}

// UnpackGetTokenStore is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x9d3facde.
//
// Solidity: function getTokenStore(address operator) view returns(address)
func (authCaptureEscrow *AuthCaptureEscrow) UnpackGetTokenStore(data []byte) (common.Address, error) {
	out, err := authCaptureEscrow.abi.Unpack("getTokenStore", data)
	if err != nil {
		return *new(common.Address), err
	}
	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)
	return out0, nil
}

// PackPaymentState is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x34b778ed.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function paymentState(bytes32 paymentInfoHash) view returns(bool hasCollectedPayment, uint120 capturableAmount, uint120 refundableAmount)
func (authCaptureEscrow *AuthCaptureEscrow) PackPaymentState(paymentInfoHash [32]byte) []byte {
	enc, err := authCaptureEscrow.abi.Pack("paymentState", paymentInfoHash)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackPaymentState is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x34b778ed.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function paymentState(bytes32 paymentInfoHash) view returns(bool hasCollectedPayment, uint120 capturableAmount, uint120 refundableAmount)
func (authCaptureEscrow *AuthCaptureEscrow) TryPackPaymentState(paymentInfoHash [32]byte) ([]byte, error) {
	return authCaptureEscrow.abi.Pack("paymentState", paymentInfoHash)
}

// PaymentStateOutput serves as a container for the return parameters of contract
// method PaymentState.
type PaymentStateOutput struct {
	HasCollectedPayment bool
	CapturableAmount    *big.Int
	RefundableAmount    *big.Int
}

// UnpackPaymentState is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x34b778ed.
//
// Solidity: function paymentState(bytes32 paymentInfoHash) view returns(bool hasCollectedPayment, uint120 capturableAmount, uint120 refundableAmount)
func (authCaptureEscrow *AuthCaptureEscrow) UnpackPaymentState(data []byte) (PaymentStateOutput, error) {
	out, err := authCaptureEscrow.abi.Unpack("paymentState", data)
	outstruct := new(PaymentStateOutput)
	if err != nil {
		return *outstruct, err
	}
	outstruct.HasCollectedPayment = *abi.ConvertType(out[0], new(bool)).(*bool)
	outstruct.CapturableAmount = abi.ConvertType(out[1], new(big.Int)).(*big.Int)
	outstruct.RefundableAmount = abi.ConvertType(out[2], new(big.Int)).(*big.Int)
	return *outstruct, nil
}

// PackReclaim is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xe1a2a66d.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function reclaim((address,address,address,address,uint120,uint48,uint48,uint48,uint16,uint16,address,uint256) paymentInfo) returns()
func (authCaptureEscrow *AuthCaptureEscrow) PackReclaim(paymentInfo AuthCaptureEscrowPaymentInfo) []byte {
	enc, err := authCaptureEscrow.abi.Pack("reclaim", paymentInfo)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackReclaim is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xe1a2a66d.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function reclaim((address,address,address,address,uint120,uint48,uint48,uint48,uint16,uint16,address,uint256) paymentInfo) returns()
func (authCaptureEscrow *AuthCaptureEscrow) TryPackReclaim(paymentInfo AuthCaptureEscrowPaymentInfo) ([]byte, error) {
	return authCaptureEscrow.abi.Pack("reclaim", paymentInfo)
}

// PackRefund is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xd458db5a.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function refund((address,address,address,address,uint120,uint48,uint48,uint48,uint16,uint16,address,uint256) paymentInfo, uint256 amount, address tokenCollector, bytes collectorData) returns()
func (authCaptureEscrow *AuthCaptureEscrow) PackRefund(paymentInfo AuthCaptureEscrowPaymentInfo, amount *big.Int, tokenCollector common.Address, collectorData []byte) []byte {
	enc, err := authCaptureEscrow.abi.Pack("refund", paymentInfo, amount, tokenCollector, collectorData)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackRefund is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xd458db5a.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function refund((address,address,address,address,uint120,uint48,uint48,uint48,uint16,uint16,address,uint256) paymentInfo, uint256 amount, address tokenCollector, bytes collectorData) returns()
func (authCaptureEscrow *AuthCaptureEscrow) TryPackRefund(paymentInfo AuthCaptureEscrowPaymentInfo, amount *big.Int, tokenCollector common.Address, collectorData []byte) ([]byte, error) {
	return authCaptureEscrow.abi.Pack("refund", paymentInfo, amount, tokenCollector, collectorData)
}

// PackTokenStoreImplementation is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xa834c89b.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function tokenStoreImplementation() view returns(address)
func (authCaptureEscrow *AuthCaptureEscrow) PackTokenStoreImplementation() []byte {
	enc, err := authCaptureEscrow.abi.Pack("tokenStoreImplementation")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackTokenStoreImplementation is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xa834c89b.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function tokenStoreImplementation() view returns(address)
func (authCaptureEscrow *AuthCaptureEscrow) TryPackTokenStoreImplementation() ([]byte, error) {
	return authCaptureEscrow.abi.Pack("tokenStoreImplementation")
}

// UnpackTokenStoreImplementation is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xa834c89b.
//
// Solidity: function tokenStoreImplementation() view returns(address)
func (authCaptureEscrow *AuthCaptureEscrow) UnpackTokenStoreImplementation(data []byte) (common.Address, error) {
	out, err := authCaptureEscrow.abi.Unpack("tokenStoreImplementation", data)
	if err != nil {
		return *new(common.Address), err
	}
	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)
	return out0, nil
}

// PackVoid is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xfa1cad17.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function void((address,address,address,address,uint120,uint48,uint48,uint48,uint16,uint16,address,uint256) paymentInfo) returns()
func (authCaptureEscrow *AuthCaptureEscrow) PackVoid(paymentInfo AuthCaptureEscrowPaymentInfo) []byte {
	enc, err := authCaptureEscrow.abi.Pack("void", paymentInfo)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackVoid is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xfa1cad17.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function void((address,address,address,address,uint120,uint48,uint48,uint48,uint16,uint16,address,uint256) paymentInfo) returns()
func (authCaptureEscrow *AuthCaptureEscrow) TryPackVoid(paymentInfo AuthCaptureEscrowPaymentInfo) ([]byte, error) {
	return authCaptureEscrow.abi.Pack("void", paymentInfo)
}

// AuthCaptureEscrowPaymentAuthorized represents a PaymentAuthorized event raised by the AuthCaptureEscrow contract.
type AuthCaptureEscrowPaymentAuthorized struct {
	PaymentInfoHash [32]byte
	PaymentInfo     AuthCaptureEscrowPaymentInfo
	Amount          *big.Int
	TokenCollector  common.Address
	Raw             *types.Log // Blockchain specific contextual infos
}

const AuthCaptureEscrowPaymentAuthorizedEventName = "PaymentAuthorized"

// ContractEventName returns the user-defined event name.
func (AuthCaptureEscrowPaymentAuthorized) ContractEventName() string {
	return AuthCaptureEscrowPaymentAuthorizedEventName
}

// UnpackPaymentAuthorizedEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event PaymentAuthorized(bytes32 indexed paymentInfoHash, (address,address,address,address,uint120,uint48,uint48,uint48,uint16,uint16,address,uint256) paymentInfo, uint256 amount, address tokenCollector)
func (authCaptureEscrow *AuthCaptureEscrow) UnpackPaymentAuthorizedEvent(log *types.Log) (*AuthCaptureEscrowPaymentAuthorized, error) {
	event := "PaymentAuthorized"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != authCaptureEscrow.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(AuthCaptureEscrowPaymentAuthorized)
	if len(log.Data) > 0 {
		if err := authCaptureEscrow.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range authCaptureEscrow.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}

// AuthCaptureEscrowPaymentCaptured represents a PaymentCaptured event raised by the AuthCaptureEscrow contract.
type AuthCaptureEscrowPaymentCaptured struct {
	PaymentInfoHash [32]byte
	Amount          *big.Int
	FeeBps          uint16
	FeeReceiver     common.Address
	Raw             *types.Log // Blockchain specific contextual infos
}

const AuthCaptureEscrowPaymentCapturedEventName = "PaymentCaptured"

// ContractEventName returns the user-defined event name.
func (AuthCaptureEscrowPaymentCaptured) ContractEventName() string {
	return AuthCaptureEscrowPaymentCapturedEventName
}

// UnpackPaymentCapturedEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event PaymentCaptured(bytes32 indexed paymentInfoHash, uint256 amount, uint16 feeBps, address feeReceiver)
func (authCaptureEscrow *AuthCaptureEscrow) UnpackPaymentCapturedEvent(log *types.Log) (*AuthCaptureEscrowPaymentCaptured, error) {
	event := "PaymentCaptured"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != authCaptureEscrow.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(AuthCaptureEscrowPaymentCaptured)
	if len(log.Data) > 0 {
		if err := authCaptureEscrow.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range authCaptureEscrow.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}

// AuthCaptureEscrowPaymentCharged represents a PaymentCharged event raised by the AuthCaptureEscrow contract.
type AuthCaptureEscrowPaymentCharged struct {
	PaymentInfoHash [32]byte
	PaymentInfo     AuthCaptureEscrowPaymentInfo
	Amount          *big.Int
	TokenCollector  common.Address
	FeeBps          uint16
	FeeReceiver     common.Address
	Raw             *types.Log // Blockchain specific contextual infos
}

const AuthCaptureEscrowPaymentChargedEventName = "PaymentCharged"

// ContractEventName returns the user-defined event name.
func (AuthCaptureEscrowPaymentCharged) ContractEventName() string {
	return AuthCaptureEscrowPaymentChargedEventName
}

// UnpackPaymentChargedEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event PaymentCharged(bytes32 indexed paymentInfoHash, (address,address,address,address,uint120,uint48,uint48,uint48,uint16,uint16,address,uint256) paymentInfo, uint256 amount, address tokenCollector, uint16 feeBps, address feeReceiver)
func (authCaptureEscrow *AuthCaptureEscrow) UnpackPaymentChargedEvent(log *types.Log) (*AuthCaptureEscrowPaymentCharged, error) {
	event := "PaymentCharged"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != authCaptureEscrow.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(AuthCaptureEscrowPaymentCharged)
	if len(log.Data) > 0 {
		if err := authCaptureEscrow.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range authCaptureEscrow.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}

// AuthCaptureEscrowPaymentReclaimed represents a PaymentReclaimed event raised by the AuthCaptureEscrow contract.
type AuthCaptureEscrowPaymentReclaimed struct {
	PaymentInfoHash [32]byte
	Amount          *big.Int
	Raw             *types.Log // Blockchain specific contextual infos
}

const AuthCaptureEscrowPaymentReclaimedEventName = "PaymentReclaimed"

// ContractEventName returns the user-defined event name.
func (AuthCaptureEscrowPaymentReclaimed) ContractEventName() string {
	return AuthCaptureEscrowPaymentReclaimedEventName
}

// UnpackPaymentReclaimedEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event PaymentReclaimed(bytes32 indexed paymentInfoHash, uint256 amount)
func (authCaptureEscrow *AuthCaptureEscrow) UnpackPaymentReclaimedEvent(log *types.Log) (*AuthCaptureEscrowPaymentReclaimed, error) {
	event := "PaymentReclaimed"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != authCaptureEscrow.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(AuthCaptureEscrowPaymentReclaimed)
	if len(log.Data) > 0 {
		if err := authCaptureEscrow.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range authCaptureEscrow.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}

// AuthCaptureEscrowPaymentRefunded represents a PaymentRefunded event raised by the AuthCaptureEscrow contract.
type AuthCaptureEscrowPaymentRefunded struct {
	PaymentInfoHash [32]byte
	Amount          *big.Int
	TokenCollector  common.Address
	Raw             *types.Log // Blockchain specific contextual infos
}

const AuthCaptureEscrowPaymentRefundedEventName = "PaymentRefunded"

// ContractEventName returns the user-defined event name.
func (AuthCaptureEscrowPaymentRefunded) ContractEventName() string {
	return AuthCaptureEscrowPaymentRefundedEventName
}

// UnpackPaymentRefundedEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event PaymentRefunded(bytes32 indexed paymentInfoHash, uint256 amount, address tokenCollector)
func (authCaptureEscrow *AuthCaptureEscrow) UnpackPaymentRefundedEvent(log *types.Log) (*AuthCaptureEscrowPaymentRefunded, error) {
	event := "PaymentRefunded"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != authCaptureEscrow.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(AuthCaptureEscrowPaymentRefunded)
	if len(log.Data) > 0 {
		if err := authCaptureEscrow.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range authCaptureEscrow.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}

// AuthCaptureEscrowPaymentVoided represents a PaymentVoided event raised by the AuthCaptureEscrow contract.
type AuthCaptureEscrowPaymentVoided struct {
	PaymentInfoHash [32]byte
	Amount          *big.Int
	Raw             *types.Log // Blockchain specific contextual infos
}

const AuthCaptureEscrowPaymentVoidedEventName = "PaymentVoided"

// ContractEventName returns the user-defined event name.
func (AuthCaptureEscrowPaymentVoided) ContractEventName() string {
	return AuthCaptureEscrowPaymentVoidedEventName
}

// UnpackPaymentVoidedEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event PaymentVoided(bytes32 indexed paymentInfoHash, uint256 amount)
func (authCaptureEscrow *AuthCaptureEscrow) UnpackPaymentVoidedEvent(log *types.Log) (*AuthCaptureEscrowPaymentVoided, error) {
	event := "PaymentVoided"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != authCaptureEscrow.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(AuthCaptureEscrowPaymentVoided)
	if len(log.Data) > 0 {
		if err := authCaptureEscrow.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range authCaptureEscrow.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}

// AuthCaptureEscrowTokenStoreCreated represents a TokenStoreCreated event raised by the AuthCaptureEscrow contract.
type AuthCaptureEscrowTokenStoreCreated struct {
	Operator   common.Address
	TokenStore common.Address
	Raw        *types.Log // Blockchain specific contextual infos
}

const AuthCaptureEscrowTokenStoreCreatedEventName = "TokenStoreCreated"

// ContractEventName returns the user-defined event name.
func (AuthCaptureEscrowTokenStoreCreated) ContractEventName() string {
	return AuthCaptureEscrowTokenStoreCreatedEventName
}

// UnpackTokenStoreCreatedEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event TokenStoreCreated(address indexed operator, address tokenStore)
func (authCaptureEscrow *AuthCaptureEscrow) UnpackTokenStoreCreatedEvent(log *types.Log) (*AuthCaptureEscrowTokenStoreCreated, error) {
	event := "TokenStoreCreated"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != authCaptureEscrow.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(AuthCaptureEscrowTokenStoreCreated)
	if len(log.Data) > 0 {
		if err := authCaptureEscrow.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range authCaptureEscrow.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}

// UnpackError attempts to decode the provided error data using user-defined
// error definitions.
func (authCaptureEscrow *AuthCaptureEscrow) UnpackError(raw []byte) (any, error) {
	if bytes.Equal(raw[:4], authCaptureEscrow.abi.Errors["AfterAuthorizationExpiry"].ID.Bytes()[:4]) {
		return authCaptureEscrow.UnpackAfterAuthorizationExpiryError(raw[4:])
	}
	if bytes.Equal(raw[:4], authCaptureEscrow.abi.Errors["AfterPreApprovalExpiry"].ID.Bytes()[:4]) {
		return authCaptureEscrow.UnpackAfterPreApprovalExpiryError(raw[4:])
	}
	if bytes.Equal(raw[:4], authCaptureEscrow.abi.Errors["AfterRefundExpiry"].ID.Bytes()[:4]) {
		return authCaptureEscrow.UnpackAfterRefundExpiryError(raw[4:])
	}
	if bytes.Equal(raw[:4], authCaptureEscrow.abi.Errors["AmountOverflow"].ID.Bytes()[:4]) {
		return authCaptureEscrow.UnpackAmountOverflowError(raw[4:])
	}
	if bytes.Equal(raw[:4], authCaptureEscrow.abi.Errors["BeforeAuthorizationExpiry"].ID.Bytes()[:4]) {
		return authCaptureEscrow.UnpackBeforeAuthorizationExpiryError(raw[4:])
	}
	if bytes.Equal(raw[:4], authCaptureEscrow.abi.Errors["ExceedsMaxAmount"].ID.Bytes()[:4]) {
		return authCaptureEscrow.UnpackExceedsMaxAmountError(raw[4:])
	}
	if bytes.Equal(raw[:4], authCaptureEscrow.abi.Errors["FailedDeployment"].ID.Bytes()[:4]) {
		return authCaptureEscrow.UnpackFailedDeploymentError(raw[4:])
	}
	if bytes.Equal(raw[:4], authCaptureEscrow.abi.Errors["FeeBpsOutOfRange"].ID.Bytes()[:4]) {
		return authCaptureEscrow.UnpackFeeBpsOutOfRangeError(raw[4:])
	}
	if bytes.Equal(raw[:4], authCaptureEscrow.abi.Errors["FeeBpsOverflow"].ID.Bytes()[:4]) {
		return authCaptureEscrow.UnpackFeeBpsOverflowError(raw[4:])
	}
	if bytes.Equal(raw[:4], authCaptureEscrow.abi.Errors["InsufficientAuthorization"].ID.Bytes()[:4]) {
		return authCaptureEscrow.UnpackInsufficientAuthorizationError(raw[4:])
	}
	if bytes.Equal(raw[:4], authCaptureEscrow.abi.Errors["InsufficientBalance"].ID.Bytes()[:4]) {
		return authCaptureEscrow.UnpackInsufficientBalanceError(raw[4:])
	}
	if bytes.Equal(raw[:4], authCaptureEscrow.abi.Errors["InvalidCollectorForOperation"].ID.Bytes()[:4]) {
		return authCaptureEscrow.UnpackInvalidCollectorForOperationError(raw[4:])
	}
	if bytes.Equal(raw[:4], authCaptureEscrow.abi.Errors["InvalidExpiries"].ID.Bytes()[:4]) {
		return authCaptureEscrow.UnpackInvalidExpiriesError(raw[4:])
	}
	if bytes.Equal(raw[:4], authCaptureEscrow.abi.Errors["InvalidFeeBpsRange"].ID.Bytes()[:4]) {
		return authCaptureEscrow.UnpackInvalidFeeBpsRangeError(raw[4:])
	}
	if bytes.Equal(raw[:4], authCaptureEscrow.abi.Errors["InvalidFeeReceiver"].ID.Bytes()[:4]) {
		return authCaptureEscrow.UnpackInvalidFeeReceiverError(raw[4:])
	}
	if bytes.Equal(raw[:4], authCaptureEscrow.abi.Errors["InvalidSender"].ID.Bytes()[:4]) {
		return authCaptureEscrow.UnpackInvalidSenderError(raw[4:])
	}
	if bytes.Equal(raw[:4], authCaptureEscrow.abi.Errors["PaymentAlreadyCollected"].ID.Bytes()[:4]) {
		return authCaptureEscrow.UnpackPaymentAlreadyCollectedError(raw[4:])
	}
	if bytes.Equal(raw[:4], authCaptureEscrow.abi.Errors["Reentrancy"].ID.Bytes()[:4]) {
		return authCaptureEscrow.UnpackReentrancyError(raw[4:])
	}
	if bytes.Equal(raw[:4], authCaptureEscrow.abi.Errors["RefundExceedsCapture"].ID.Bytes()[:4]) {
		return authCaptureEscrow.UnpackRefundExceedsCaptureError(raw[4:])
	}
	if bytes.Equal(raw[:4], authCaptureEscrow.abi.Errors["TokenCollectionFailed"].ID.Bytes()[:4]) {
		return authCaptureEscrow.UnpackTokenCollectionFailedError(raw[4:])
	}
	if bytes.Equal(raw[:4], authCaptureEscrow.abi.Errors["ZeroAmount"].ID.Bytes()[:4]) {
		return authCaptureEscrow.UnpackZeroAmountError(raw[4:])
	}
	if bytes.Equal(raw[:4], authCaptureEscrow.abi.Errors["ZeroAuthorization"].ID.Bytes()[:4]) {
		return authCaptureEscrow.UnpackZeroAuthorizationError(raw[4:])
	}
	if bytes.Equal(raw[:4], authCaptureEscrow.abi.Errors["ZeroFeeReceiver"].ID.Bytes()[:4]) {
		return authCaptureEscrow.UnpackZeroFeeReceiverError(raw[4:])
	}
	return nil, errors.New("Unknown error")
}

// AuthCaptureEscrowAfterAuthorizationExpiry represents a AfterAuthorizationExpiry error raised by the AuthCaptureEscrow contract.
type AuthCaptureEscrowAfterAuthorizationExpiry struct {
	Timestamp *big.Int
	Expiry    *big.Int
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error AfterAuthorizationExpiry(uint48 timestamp, uint48 expiry)
func AuthCaptureEscrowAfterAuthorizationExpiryErrorID() common.Hash {
	return common.HexToHash("0x36f2d211d3b5760ca5b47b2e6cca5de239b004535c9591e07eec16a32b3bbf84")
}

// UnpackAfterAuthorizationExpiryError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error AfterAuthorizationExpiry(uint48 timestamp, uint48 expiry)
func (authCaptureEscrow *AuthCaptureEscrow) UnpackAfterAuthorizationExpiryError(raw []byte) (*AuthCaptureEscrowAfterAuthorizationExpiry, error) {
	out := new(AuthCaptureEscrowAfterAuthorizationExpiry)
	if err := authCaptureEscrow.abi.UnpackIntoInterface(out, "AfterAuthorizationExpiry", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// AuthCaptureEscrowAfterPreApprovalExpiry represents a AfterPreApprovalExpiry error raised by the AuthCaptureEscrow contract.
type AuthCaptureEscrowAfterPreApprovalExpiry struct {
	Timestamp *big.Int
	Expiry    *big.Int
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error AfterPreApprovalExpiry(uint48 timestamp, uint48 expiry)
func AuthCaptureEscrowAfterPreApprovalExpiryErrorID() common.Hash {
	return common.HexToHash("0xc46cf60fa5799692c5785dcab05ed7a675129fe3a8864c0b091f16ce20980d73")
}

// UnpackAfterPreApprovalExpiryError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error AfterPreApprovalExpiry(uint48 timestamp, uint48 expiry)
func (authCaptureEscrow *AuthCaptureEscrow) UnpackAfterPreApprovalExpiryError(raw []byte) (*AuthCaptureEscrowAfterPreApprovalExpiry, error) {
	out := new(AuthCaptureEscrowAfterPreApprovalExpiry)
	if err := authCaptureEscrow.abi.UnpackIntoInterface(out, "AfterPreApprovalExpiry", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// AuthCaptureEscrowAfterRefundExpiry represents a AfterRefundExpiry error raised by the AuthCaptureEscrow contract.
type AuthCaptureEscrowAfterRefundExpiry struct {
	Timestamp *big.Int
	Expiry    *big.Int
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error AfterRefundExpiry(uint48 timestamp, uint48 expiry)
func AuthCaptureEscrowAfterRefundExpiryErrorID() common.Hash {
	return common.HexToHash("0x94271bde23f3a76adb134ebeccd122c05b2be44280b1742b6acd5169f2615bf8")
}

// UnpackAfterRefundExpiryError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error AfterRefundExpiry(uint48 timestamp, uint48 expiry)
func (authCaptureEscrow *AuthCaptureEscrow) UnpackAfterRefundExpiryError(raw []byte) (*AuthCaptureEscrowAfterRefundExpiry, error) {
	out := new(AuthCaptureEscrowAfterRefundExpiry)
	if err := authCaptureEscrow.abi.UnpackIntoInterface(out, "AfterRefundExpiry", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// AuthCaptureEscrowAmountOverflow represents a AmountOverflow error raised by the AuthCaptureEscrow contract.
type AuthCaptureEscrowAmountOverflow struct {
	Amount *big.Int
	Limit  *big.Int
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error AmountOverflow(uint256 amount, uint256 limit)
func AuthCaptureEscrowAmountOverflowErrorID() common.Hash {
	return common.HexToHash("0x6c0442a25c4f0c8dfbda24816e7608eb007d75e8a674271351b98c7436ba886a")
}

// UnpackAmountOverflowError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error AmountOverflow(uint256 amount, uint256 limit)
func (authCaptureEscrow *AuthCaptureEscrow) UnpackAmountOverflowError(raw []byte) (*AuthCaptureEscrowAmountOverflow, error) {
	out := new(AuthCaptureEscrowAmountOverflow)
	if err := authCaptureEscrow.abi.UnpackIntoInterface(out, "AmountOverflow", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// AuthCaptureEscrowBeforeAuthorizationExpiry represents a BeforeAuthorizationExpiry error raised by the AuthCaptureEscrow contract.
type AuthCaptureEscrowBeforeAuthorizationExpiry struct {
	Timestamp *big.Int
	Expiry    *big.Int
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error BeforeAuthorizationExpiry(uint48 timestamp, uint48 expiry)
func AuthCaptureEscrowBeforeAuthorizationExpiryErrorID() common.Hash {
	return common.HexToHash("0xaa5674ad91546a4fde755340887c9a55ba6ec57892bc6fbac81e2607415a9b60")
}

// UnpackBeforeAuthorizationExpiryError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error BeforeAuthorizationExpiry(uint48 timestamp, uint48 expiry)
func (authCaptureEscrow *AuthCaptureEscrow) UnpackBeforeAuthorizationExpiryError(raw []byte) (*AuthCaptureEscrowBeforeAuthorizationExpiry, error) {
	out := new(AuthCaptureEscrowBeforeAuthorizationExpiry)
	if err := authCaptureEscrow.abi.UnpackIntoInterface(out, "BeforeAuthorizationExpiry", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// AuthCaptureEscrowExceedsMaxAmount represents a ExceedsMaxAmount error raised by the AuthCaptureEscrow contract.
type AuthCaptureEscrowExceedsMaxAmount struct {
	Amount    *big.Int
	MaxAmount *big.Int
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error ExceedsMaxAmount(uint256 amount, uint256 maxAmount)
func AuthCaptureEscrowExceedsMaxAmountErrorID() common.Hash {
	return common.HexToHash("0x092af19ea0a5ee7c52f3488203c200b82067625392a42a8dade422f91f6415c5")
}

// UnpackExceedsMaxAmountError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error ExceedsMaxAmount(uint256 amount, uint256 maxAmount)
func (authCaptureEscrow *AuthCaptureEscrow) UnpackExceedsMaxAmountError(raw []byte) (*AuthCaptureEscrowExceedsMaxAmount, error) {
	out := new(AuthCaptureEscrowExceedsMaxAmount)
	if err := authCaptureEscrow.abi.UnpackIntoInterface(out, "ExceedsMaxAmount", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// AuthCaptureEscrowFailedDeployment represents a FailedDeployment error raised by the AuthCaptureEscrow contract.
type AuthCaptureEscrowFailedDeployment struct {
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error FailedDeployment()
func AuthCaptureEscrowFailedDeploymentErrorID() common.Hash {
	return common.HexToHash("0xb06ebf3d5067824a3fe5d5ba19471e035a7de6c88dac362c77b162830a5b9093")
}

// UnpackFailedDeploymentError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error FailedDeployment()
func (authCaptureEscrow *AuthCaptureEscrow) UnpackFailedDeploymentError(raw []byte) (*AuthCaptureEscrowFailedDeployment, error) {
	out := new(AuthCaptureEscrowFailedDeployment)
	if err := authCaptureEscrow.abi.UnpackIntoInterface(out, "FailedDeployment", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// AuthCaptureEscrowFeeBpsOutOfRange represents a FeeBpsOutOfRange error raised by the AuthCaptureEscrow contract.
type AuthCaptureEscrowFeeBpsOutOfRange struct {
	FeeBps    uint16
	MinFeeBps uint16
	MaxFeeBps uint16
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error FeeBpsOutOfRange(uint16 feeBps, uint16 minFeeBps, uint16 maxFeeBps)
func AuthCaptureEscrowFeeBpsOutOfRangeErrorID() common.Hash {
	return common.HexToHash("0x0b345f0cb4cd104da69a87c879f1f53779518d81110ef0dbdc22ef906b062331")
}

// UnpackFeeBpsOutOfRangeError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error FeeBpsOutOfRange(uint16 feeBps, uint16 minFeeBps, uint16 maxFeeBps)
func (authCaptureEscrow *AuthCaptureEscrow) UnpackFeeBpsOutOfRangeError(raw []byte) (*AuthCaptureEscrowFeeBpsOutOfRange, error) {
	out := new(AuthCaptureEscrowFeeBpsOutOfRange)
	if err := authCaptureEscrow.abi.UnpackIntoInterface(out, "FeeBpsOutOfRange", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// AuthCaptureEscrowFeeBpsOverflow represents a FeeBpsOverflow error raised by the AuthCaptureEscrow contract.
type AuthCaptureEscrowFeeBpsOverflow struct {
	FeeBps uint16
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error FeeBpsOverflow(uint16 feeBps)
func AuthCaptureEscrowFeeBpsOverflowErrorID() common.Hash {
	return common.HexToHash("0xbf47e3f7129ed26fe0213af56625c4f51cf267284fdd220a5244a4f48a088831")
}

// UnpackFeeBpsOverflowError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error FeeBpsOverflow(uint16 feeBps)
func (authCaptureEscrow *AuthCaptureEscrow) UnpackFeeBpsOverflowError(raw []byte) (*AuthCaptureEscrowFeeBpsOverflow, error) {
	out := new(AuthCaptureEscrowFeeBpsOverflow)
	if err := authCaptureEscrow.abi.UnpackIntoInterface(out, "FeeBpsOverflow", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// AuthCaptureEscrowInsufficientAuthorization represents a InsufficientAuthorization error raised by the AuthCaptureEscrow contract.
type AuthCaptureEscrowInsufficientAuthorization struct {
	PaymentInfoHash  [32]byte
	AuthorizedAmount *big.Int
	RequestedAmount  *big.Int
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error InsufficientAuthorization(bytes32 paymentInfoHash, uint256 authorizedAmount, uint256 requestedAmount)
func AuthCaptureEscrowInsufficientAuthorizationErrorID() common.Hash {
	return common.HexToHash("0x604b0947a536bc467acd388d89a727f167784c690c8135b410269a2a566984a3")
}

// UnpackInsufficientAuthorizationError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error InsufficientAuthorization(bytes32 paymentInfoHash, uint256 authorizedAmount, uint256 requestedAmount)
func (authCaptureEscrow *AuthCaptureEscrow) UnpackInsufficientAuthorizationError(raw []byte) (*AuthCaptureEscrowInsufficientAuthorization, error) {
	out := new(AuthCaptureEscrowInsufficientAuthorization)
	if err := authCaptureEscrow.abi.UnpackIntoInterface(out, "InsufficientAuthorization", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// AuthCaptureEscrowInsufficientBalance represents a InsufficientBalance error raised by the AuthCaptureEscrow contract.
type AuthCaptureEscrowInsufficientBalance struct {
	Balance *big.Int
	Needed  *big.Int
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error InsufficientBalance(uint256 balance, uint256 needed)
func AuthCaptureEscrowInsufficientBalanceErrorID() common.Hash {
	return common.HexToHash("0xcf4791818fba6e019216eb4864093b4947f674afada5d305e57d598b641dad1d")
}

// UnpackInsufficientBalanceError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error InsufficientBalance(uint256 balance, uint256 needed)
func (authCaptureEscrow *AuthCaptureEscrow) UnpackInsufficientBalanceError(raw []byte) (*AuthCaptureEscrowInsufficientBalance, error) {
	out := new(AuthCaptureEscrowInsufficientBalance)
	if err := authCaptureEscrow.abi.UnpackIntoInterface(out, "InsufficientBalance", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// AuthCaptureEscrowInvalidCollectorForOperation represents a InvalidCollectorForOperation error raised by the AuthCaptureEscrow contract.
type AuthCaptureEscrowInvalidCollectorForOperation struct {
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error InvalidCollectorForOperation()
func AuthCaptureEscrowInvalidCollectorForOperationErrorID() common.Hash {
	return common.HexToHash("0x5313287ddb59f358c82d1872a8fe5bed822524533de9db0a83428189fce9da4d")
}

// UnpackInvalidCollectorForOperationError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error InvalidCollectorForOperation()
func (authCaptureEscrow *AuthCaptureEscrow) UnpackInvalidCollectorForOperationError(raw []byte) (*AuthCaptureEscrowInvalidCollectorForOperation, error) {
	out := new(AuthCaptureEscrowInvalidCollectorForOperation)
	if err := authCaptureEscrow.abi.UnpackIntoInterface(out, "InvalidCollectorForOperation", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// AuthCaptureEscrowInvalidExpiries represents a InvalidExpiries error raised by the AuthCaptureEscrow contract.
type AuthCaptureEscrowInvalidExpiries struct {
	PreApproval   *big.Int
	Authorization *big.Int
	Refund        *big.Int
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error InvalidExpiries(uint48 preApproval, uint48 authorization, uint48 refund)
func AuthCaptureEscrowInvalidExpiriesErrorID() common.Hash {
	return common.HexToHash("0x88ef076001f121411fbf8ce58c3b7350b70ea06aaccb74fb856bdff863b72336")
}

// UnpackInvalidExpiriesError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error InvalidExpiries(uint48 preApproval, uint48 authorization, uint48 refund)
func (authCaptureEscrow *AuthCaptureEscrow) UnpackInvalidExpiriesError(raw []byte) (*AuthCaptureEscrowInvalidExpiries, error) {
	out := new(AuthCaptureEscrowInvalidExpiries)
	if err := authCaptureEscrow.abi.UnpackIntoInterface(out, "InvalidExpiries", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// AuthCaptureEscrowInvalidFeeBpsRange represents a InvalidFeeBpsRange error raised by the AuthCaptureEscrow contract.
type AuthCaptureEscrowInvalidFeeBpsRange struct {
	MinFeeBps uint16
	MaxFeeBps uint16
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error InvalidFeeBpsRange(uint16 minFeeBps, uint16 maxFeeBps)
func AuthCaptureEscrowInvalidFeeBpsRangeErrorID() common.Hash {
	return common.HexToHash("0x0950d5d08ee37a1acc28960e5308278d2f4ff70cf88b2fb13552875ab9dc6cb8")
}

// UnpackInvalidFeeBpsRangeError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error InvalidFeeBpsRange(uint16 minFeeBps, uint16 maxFeeBps)
func (authCaptureEscrow *AuthCaptureEscrow) UnpackInvalidFeeBpsRangeError(raw []byte) (*AuthCaptureEscrowInvalidFeeBpsRange, error) {
	out := new(AuthCaptureEscrowInvalidFeeBpsRange)
	if err := authCaptureEscrow.abi.UnpackIntoInterface(out, "InvalidFeeBpsRange", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// AuthCaptureEscrowInvalidFeeReceiver represents a InvalidFeeReceiver error raised by the AuthCaptureEscrow contract.
type AuthCaptureEscrowInvalidFeeReceiver struct {
	Attempted common.Address
	Expected  common.Address
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error InvalidFeeReceiver(address attempted, address expected)
func AuthCaptureEscrowInvalidFeeReceiverErrorID() common.Hash {
	return common.HexToHash("0x4caf6a3408a7feaf5b9b47ec49e5318109cf29bddefc394f3570de9dca369299")
}

// UnpackInvalidFeeReceiverError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error InvalidFeeReceiver(address attempted, address expected)
func (authCaptureEscrow *AuthCaptureEscrow) UnpackInvalidFeeReceiverError(raw []byte) (*AuthCaptureEscrowInvalidFeeReceiver, error) {
	out := new(AuthCaptureEscrowInvalidFeeReceiver)
	if err := authCaptureEscrow.abi.UnpackIntoInterface(out, "InvalidFeeReceiver", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// AuthCaptureEscrowInvalidSender represents a InvalidSender error raised by the AuthCaptureEscrow contract.
type AuthCaptureEscrowInvalidSender struct {
	Sender   common.Address
	Expected common.Address
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error InvalidSender(address sender, address expected)
func AuthCaptureEscrowInvalidSenderErrorID() common.Hash {
	return common.HexToHash("0xe1130dbad6e77228912cd79cc3b53cd156f090ef6a73d9fdb2720c4f9d40d9d3")
}

// UnpackInvalidSenderError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error InvalidSender(address sender, address expected)
func (authCaptureEscrow *AuthCaptureEscrow) UnpackInvalidSenderError(raw []byte) (*AuthCaptureEscrowInvalidSender, error) {
	out := new(AuthCaptureEscrowInvalidSender)
	if err := authCaptureEscrow.abi.UnpackIntoInterface(out, "InvalidSender", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// AuthCaptureEscrowPaymentAlreadyCollected represents a PaymentAlreadyCollected error raised by the AuthCaptureEscrow contract.
type AuthCaptureEscrowPaymentAlreadyCollected struct {
	PaymentInfoHash [32]byte
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error PaymentAlreadyCollected(bytes32 paymentInfoHash)
func AuthCaptureEscrowPaymentAlreadyCollectedErrorID() common.Hash {
	return common.HexToHash("0xad7c145a9a075d8acffe2b5368bf37636dc479fda6bf764ef5efc6f314cfcbf4")
}

// UnpackPaymentAlreadyCollectedError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error PaymentAlreadyCollected(bytes32 paymentInfoHash)
func (authCaptureEscrow *AuthCaptureEscrow) UnpackPaymentAlreadyCollectedError(raw []byte) (*AuthCaptureEscrowPaymentAlreadyCollected, error) {
	out := new(AuthCaptureEscrowPaymentAlreadyCollected)
	if err := authCaptureEscrow.abi.UnpackIntoInterface(out, "PaymentAlreadyCollected", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// AuthCaptureEscrowReentrancy represents a Reentrancy error raised by the AuthCaptureEscrow contract.
type AuthCaptureEscrowReentrancy struct {
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error Reentrancy()
func AuthCaptureEscrowReentrancyErrorID() common.Hash {
	return common.HexToHash("0xab143c06c9772d69bbbc9f2fe74acd02f810e93b099f3d1dac8448ac9ae35991")
}

// UnpackReentrancyError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error Reentrancy()
func (authCaptureEscrow *AuthCaptureEscrow) UnpackReentrancyError(raw []byte) (*AuthCaptureEscrowReentrancy, error) {
	out := new(AuthCaptureEscrowReentrancy)
	if err := authCaptureEscrow.abi.UnpackIntoInterface(out, "Reentrancy", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// AuthCaptureEscrowRefundExceedsCapture represents a RefundExceedsCapture error raised by the AuthCaptureEscrow contract.
type AuthCaptureEscrowRefundExceedsCapture struct {
	Refund   *big.Int
	Captured *big.Int
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error RefundExceedsCapture(uint256 refund, uint256 captured)
func AuthCaptureEscrowRefundExceedsCaptureErrorID() common.Hash {
	return common.HexToHash("0x6295d604a0723b6ed6d1fdd4f055283dc0724752d781234b6cc79e21211589ec")
}

// UnpackRefundExceedsCaptureError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error RefundExceedsCapture(uint256 refund, uint256 captured)
func (authCaptureEscrow *AuthCaptureEscrow) UnpackRefundExceedsCaptureError(raw []byte) (*AuthCaptureEscrowRefundExceedsCapture, error) {
	out := new(AuthCaptureEscrowRefundExceedsCapture)
	if err := authCaptureEscrow.abi.UnpackIntoInterface(out, "RefundExceedsCapture", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// AuthCaptureEscrowTokenCollectionFailed represents a TokenCollectionFailed error raised by the AuthCaptureEscrow contract.
type AuthCaptureEscrowTokenCollectionFailed struct {
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error TokenCollectionFailed()
func AuthCaptureEscrowTokenCollectionFailedErrorID() common.Hash {
	return common.HexToHash("0x3c73c4a0465165c866f7e99a0c0f2c8bde05be0ec46cae844d0b8f0bddc4deaf")
}

// UnpackTokenCollectionFailedError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error TokenCollectionFailed()
func (authCaptureEscrow *AuthCaptureEscrow) UnpackTokenCollectionFailedError(raw []byte) (*AuthCaptureEscrowTokenCollectionFailed, error) {
	out := new(AuthCaptureEscrowTokenCollectionFailed)
	if err := authCaptureEscrow.abi.UnpackIntoInterface(out, "TokenCollectionFailed", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// AuthCaptureEscrowZeroAmount represents a ZeroAmount error raised by the AuthCaptureEscrow contract.
type AuthCaptureEscrowZeroAmount struct {
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error ZeroAmount()
func AuthCaptureEscrowZeroAmountErrorID() common.Hash {
	return common.HexToHash("0x1f2a2005cb66a8e145327e8814e243a0996aec9bfe1e15a495778b1236dbd485")
}

// UnpackZeroAmountError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error ZeroAmount()
func (authCaptureEscrow *AuthCaptureEscrow) UnpackZeroAmountError(raw []byte) (*AuthCaptureEscrowZeroAmount, error) {
	out := new(AuthCaptureEscrowZeroAmount)
	if err := authCaptureEscrow.abi.UnpackIntoInterface(out, "ZeroAmount", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// AuthCaptureEscrowZeroAuthorization represents a ZeroAuthorization error raised by the AuthCaptureEscrow contract.
type AuthCaptureEscrowZeroAuthorization struct {
	PaymentInfoHash [32]byte
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error ZeroAuthorization(bytes32 paymentInfoHash)
func AuthCaptureEscrowZeroAuthorizationErrorID() common.Hash {
	return common.HexToHash("0x93bb7a1262ec04e40205cc198835778befb5cc69d776b86f8fb45454639f0564")
}

// UnpackZeroAuthorizationError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error ZeroAuthorization(bytes32 paymentInfoHash)
func (authCaptureEscrow *AuthCaptureEscrow) UnpackZeroAuthorizationError(raw []byte) (*AuthCaptureEscrowZeroAuthorization, error) {
	out := new(AuthCaptureEscrowZeroAuthorization)
	if err := authCaptureEscrow.abi.UnpackIntoInterface(out, "ZeroAuthorization", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// AuthCaptureEscrowZeroFeeReceiver represents a ZeroFeeReceiver error raised by the AuthCaptureEscrow contract.
type AuthCaptureEscrowZeroFeeReceiver struct {
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error ZeroFeeReceiver()
func AuthCaptureEscrowZeroFeeReceiverErrorID() common.Hash {
	return common.HexToHash("0xb6802b7ff68d9e60fbbae45d81ed5c1b73bbdecaad125e8c9d9d689979f0a7cd")
}

// UnpackZeroFeeReceiverError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error ZeroFeeReceiver()
func (authCaptureEscrow *AuthCaptureEscrow) UnpackZeroFeeReceiverError(raw []byte) (*AuthCaptureEscrowZeroFeeReceiver, error) {
	out := new(AuthCaptureEscrowZeroFeeReceiver)
	if err := authCaptureEscrow.abi.UnpackIntoInterface(out, "ZeroFeeReceiver", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// ERC3009PaymentCollectorMetaData contains all meta data concerning the ERC3009PaymentCollector contract.
var ERC3009PaymentCollectorMetaData = bind.MetaData{
	ABI: "[{\"inputs\":[{\"internalType\":\"address\",\"name\":\"authCaptureEscrow_\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"multicall3_\",\"type\":\"address\"}],\"stateMutability\":\"nonpayable\",\"type\":\"constructor\"},{\"inputs\":[],\"name\":\"OnlyAuthCaptureEscrow\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"token\",\"type\":\"address\"}],\"name\":\"SafeERC20FailedOperation\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"authCaptureEscrow\",\"outputs\":[{\"internalType\":\"contractAuthCaptureEscrow\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"components\":[{\"internalType\":\"address\",\"name\":\"operator\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"payer\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"receiver\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"token\",\"type\":\"address\"},{\"internalType\":\"uint120\",\"name\":\"maxAmount\",\"type\":\"uint120\"},{\"internalType\":\"uint48\",\"name\":\"preApprovalExpiry\",\"type\":\"uint48\"},{\"internalType\":\"uint48\",\"name\":\"authorizationExpiry\",\"type\":\"uint48\"},{\"internalType\":\"uint48\",\"name\":\"refundExpiry\",\"type\":\"uint48\"},{\"internalType\":\"uint16\",\"name\":\"minFeeBps\",\"type\":\"uint16\"},{\"internalType\":\"uint16\",\"name\":\"maxFeeBps\",\"type\":\"uint16\"},{\"internalType\":\"address\",\"name\":\"feeReceiver\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"salt\",\"type\":\"uint256\"}],\"internalType\":\"structAuthCaptureEscrow.PaymentInfo\",\"name\":\"paymentInfo\",\"type\":\"tuple\"},{\"internalType\":\"address\",\"name\":\"tokenStore\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"},{\"internalType\":\"bytes\",\"name\":\"collectorData\",\"type\":\"bytes\"}],\"name\":\"collectTokens\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"collectorType\",\"outputs\":[{\"internalType\":\"enumTokenCollector.CollectorType\",\"name\":\"\",\"type\":\"uint8\"}],\"stateMutability\":\"pure\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"multicall3\",\"outputs\":[{\"internalType\":\"contractIMulticall3\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"}]",
	ID:  "cafd8b8bf41dc9188863103405f79bb508",
	Bin: "0x60c060405234801561000f575f5ffd5b50604051610e69380380610e6983398101604081905261002e91610060565b6001600160a01b039182166080521660a052610091565b80516001600160a01b038116811461005b575f5ffd5b919050565b5f5f60408385031215610071575f5ffd5b61007a83610045565b915061008860208401610045565b90509250929050565b60805160a051610da56100c45f395f818160ac015261043a01525f818160530152818160e7015261025c0152610da55ff3fe608060405234801561000f575f5ffd5b506004361061004a575f3560e01c8063408657341461004e578063498847881461009257806394b41e52146100a7578063ccdafa11146100ce575b5f5ffd5b6100757f000000000000000000000000000000000000000000000000000000000000000081565b6040516001600160a01b0390911681526020015b60405180910390f35b6100a56100a0366004610589565b6100dc565b005b6100757f000000000000000000000000000000000000000000000000000000000000000081565b5f604051610089919061062c565b336001600160a01b037f000000000000000000000000000000000000000000000000000000000000000016146101255760405163bde034f960e01b815260040160405180910390fd5b6101328585858585610139565b5050505050565b5f61014a6040870160208801610652565b90505f61015d6080880160608901610652565b90505f61017060a0890160808a01610683565b6001600160781b03169050816001600160a01b03166388b7ab638430845f8d60a00160208101906101a191906106b1565b6101aa8f610233565b6101b48d8d6102df565b6040518863ffffffff1660e01b81526004016101d697969594939291906106f8565b5f604051808303815f87803b1580156101ed575f5ffd5b505af11580156101ff573d5f5f3e3d5ffd5b5050505085811461021e5761021e82846102198985610753565b6104c2565b6102298288886104c2565b5050505050505050565b5f8061024436849003840184610815565b5f602082015260405163063a70ff60e01b81529091507f00000000000000000000000000000000000000000000000000000000000000006001600160a01b03169063063a70ff906102999084906004016108ff565b602060405180830381865afa1580156102b4573d5f5f3e3d5ffd5b505050506040513d601f19601f820116820180604052508101906102d89190610a27565b9392505050565b606081602081108061033157507f6492649264926492649264926492649264926492649264926492649264926492848461031a602085610753565b610325928290610a3e565b61032e91610a65565b14155b156103755783838080601f0160208091040260200160405190810160405280939291908181526020018383808284375f920191909152509294506104bc9350505050565b5f8080868187610386602088610753565b9261039393929190610a3e565b8101906103a09190610afb565b60408051600180825281830190925293965091945092505f9190816020015b604080518082019091525f8152606060208201528152602001906001900390816103bf5790505090506040518060400160405280856001600160a01b0316815260200184815250815f8151811061041857610418610b71565b602090810291909101015260405163bce38bd760e01b81526001600160a01b037f0000000000000000000000000000000000000000000000000000000000000000169063bce38bd790610471905f908590600401610b85565b5f604051808303815f875af115801561048c573d5f5f3e3d5ffd5b505050506040513d5f823e601f3d908101601f191682016040526104b39190810190610c11565b50909450505050505b92915050565b6104cf8383836001610500565b6104fb57604051635274afe760e01b81526001600160a01b038416600482015260240160405180910390fd5b505050565b60405163a9059cbb60e01b5f8181526001600160a01b038616600452602485905291602083604481808b5af1925060015f5114831661055657838315161561054a573d5f823e3d81fd5b5f873b113d1516831692505b60405250949350505050565b6001600160a01b0381168114610576575f5ffd5b50565b803561058481610562565b919050565b5f5f5f5f5f8587036101e081121561059f575f5ffd5b6101808112156105ad575f5ffd5b508594506101808601356105c081610562565b93506101a086013592506101c086013567ffffffffffffffff8111156105e4575f5ffd5b8601601f810188136105f4575f5ffd5b803567ffffffffffffffff81111561060a575f5ffd5b88602082840101111561061b575f5ffd5b959894975092955050506020019190565b602081016002831061064c57634e487b7160e01b5f52602160045260245ffd5b91905290565b5f60208284031215610662575f5ffd5b81356102d881610562565b80356001600160781b0381168114610584575f5ffd5b5f60208284031215610693575f5ffd5b6102d88261066d565b803565ffffffffffff81168114610584575f5ffd5b5f602082840312156106c1575f5ffd5b6102d88261069c565b5f81518084528060208401602086015e5f602082860101526020601f19601f83011685010191505092915050565b6001600160a01b03888116825287166020820152604081018690526060810185905265ffffffffffff8416608082015260a0810183905260e060c082018190525f90610746908301846106ca565b9998505050505050505050565b818103818111156104bc57634e487b7160e01b5f52601160045260245ffd5b634e487b7160e01b5f52604160045260245ffd5b604051610180810167ffffffffffffffff811182821017156107aa576107aa610772565b60405290565b6040805190810167ffffffffffffffff811182821017156107aa576107aa610772565b604051601f8201601f1916810167ffffffffffffffff811182821017156107fc576107fc610772565b604052919050565b803561ffff81168114610584575f5ffd5b5f610180828403128015610827575f5ffd5b50610830610786565b61083983610579565b815261084760208401610579565b602082015261085860408401610579565b604082015261086960608401610579565b606082015261087a6080840161066d565b608082015261088b60a0840161069c565b60a082015261089c60c0840161069c565b60c08201526108ad60e0840161069c565b60e08201526108bf6101008401610804565b6101008201526108d26101208401610804565b6101208201526108e56101408401610579565b610140820152610160928301359281019290925250919050565b81516001600160a01b031681526101808101602083015161092b60208401826001600160a01b03169052565b50604083015161094660408401826001600160a01b03169052565b50606083015161096160608401826001600160a01b03169052565b50608083015161097c60808401826001600160781b03169052565b5060a083015161099660a084018265ffffffffffff169052565b5060c08301516109b060c084018265ffffffffffff169052565b5060e08301516109ca60e084018265ffffffffffff169052565b506101008301516109e261010084018261ffff169052565b506101208301516109fa61012084018261ffff169052565b50610140830151610a176101408401826001600160a01b03169052565b5061016092830151919092015290565b5f60208284031215610a37575f5ffd5b5051919050565b5f5f85851115610a4c575f5ffd5b83861115610a58575f5ffd5b5050820193919092039150565b803560208310156104bc575f19602084900360031b1b1692915050565b5f67ffffffffffffffff821115610a9b57610a9b610772565b50601f01601f191660200190565b5f82601f830112610ab8575f5ffd5b8135610acb610ac682610a82565b6107d3565b818152846020838601011115610adf575f5ffd5b816020850160208301375f918101602001919091529392505050565b5f5f5f60608486031215610b0d575f5ffd5b8335610b1881610562565b9250602084013567ffffffffffffffff811115610b33575f5ffd5b610b3f86828701610aa9565b925050604084013567ffffffffffffffff811115610b5b575f5ffd5b610b6786828701610aa9565b9150509250925092565b634e487b7160e01b5f52603260045260245ffd5b5f6040820184151583526040602084015280845180835260608501915060608160051b8601019250602086015f5b82811015610c0457868503605f19018452815180516001600160a01b03168652602090810151604091870182905290610bee908701826106ca565b9550506020938401939190910190600101610bb3565b5092979650505050505050565b5f60208284031215610c21575f5ffd5b815167ffffffffffffffff811115610c37575f5ffd5b8201601f81018413610c47575f5ffd5b805167ffffffffffffffff811115610c6157610c61610772565b8060051b610c71602082016107d3565b91825260208184018101929081019087841115610c8c575f5ffd5b6020850192505b83831015610d6457825167ffffffffffffffff811115610cb1575f5ffd5b85016040818a03601f19011215610cc6575f5ffd5b610cce6107b0565b60208201518015158114610ce0575f5ffd5b8152604082015167ffffffffffffffff811115610cfb575f5ffd5b60208184010192505089601f830112610d12575f5ffd5b8151610d20610ac682610a82565b8181528b6020838601011115610d34575f5ffd5b8160208501602083015e5f6020838301015280602084015250508084525050602082019150602083019250610c93565b97965050505050505056fea2646970667358221220439b382b926388bea30097f568f8cc9b2a4741930ce40d17cd03c7272e03b6bb64736f6c634300081c0033",
}

// ERC3009PaymentCollector is an auto generated Go binding around an Ethereum contract.
type ERC3009PaymentCollector struct {
	abi abi.ABI
}

// GetABI returns the ABI associated with this contract binding.
func (c *ERC3009PaymentCollector) GetABI() abi.ABI {
	return c.abi
}

// NewERC3009PaymentCollector creates a new instance of ERC3009PaymentCollector.
func NewERC3009PaymentCollector() *ERC3009PaymentCollector {
	parsed, err := ERC3009PaymentCollectorMetaData.ParseABI()
	if err != nil {
		panic(errors.New("invalid ABI: " + err.Error()))
	}
	return &ERC3009PaymentCollector{abi: *parsed}
}

// Instance creates a wrapper for a deployed contract instance at the given address.
// Use this to create the instance object passed to abigen v2 library functions Call, Transact, etc.
func (c *ERC3009PaymentCollector) Instance(backend bind.ContractBackend, addr common.Address) *bind.BoundContract {
	return bind.NewBoundContract(addr, c.abi, backend, backend, backend)
}

// PackConstructor is the Go binding used to pack the parameters required for
// contract deployment.
//
// Solidity: constructor(address authCaptureEscrow_, address multicall3_) returns()
func (eRC3009PaymentCollector *ERC3009PaymentCollector) PackConstructor(authCaptureEscrow_ common.Address, multicall3_ common.Address) []byte {
	enc, err := eRC3009PaymentCollector.abi.Pack("", authCaptureEscrow_, multicall3_)
	if err != nil {
		panic(err)
	}
	return enc
}

// PackAuthCaptureEscrow is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x40865734.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function authCaptureEscrow() view returns(address)
func (eRC3009PaymentCollector *ERC3009PaymentCollector) PackAuthCaptureEscrow() []byte {
	enc, err := eRC3009PaymentCollector.abi.Pack("authCaptureEscrow")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackAuthCaptureEscrow is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x40865734.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function authCaptureEscrow() view returns(address)
func (eRC3009PaymentCollector *ERC3009PaymentCollector) TryPackAuthCaptureEscrow() ([]byte, error) {
	return eRC3009PaymentCollector.abi.Pack("authCaptureEscrow")
}

// UnpackAuthCaptureEscrow is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x40865734.
//
// Solidity: function authCaptureEscrow() view returns(address)
func (eRC3009PaymentCollector *ERC3009PaymentCollector) UnpackAuthCaptureEscrow(data []byte) (common.Address, error) {
	out, err := eRC3009PaymentCollector.abi.Unpack("authCaptureEscrow", data)
	if err != nil {
		return *new(common.Address), err
	}
	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)
	return out0, nil
}

// PackCollectTokens is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x49884788.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function collectTokens((address,address,address,address,uint120,uint48,uint48,uint48,uint16,uint16,address,uint256) paymentInfo, address tokenStore, uint256 amount, bytes collectorData) returns()
func (eRC3009PaymentCollector *ERC3009PaymentCollector) PackCollectTokens(paymentInfo AuthCaptureEscrowPaymentInfo, tokenStore common.Address, amount *big.Int, collectorData []byte) []byte {
	enc, err := eRC3009PaymentCollector.abi.Pack("collectTokens", paymentInfo, tokenStore, amount, collectorData)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackCollectTokens is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x49884788.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function collectTokens((address,address,address,address,uint120,uint48,uint48,uint48,uint16,uint16,address,uint256) paymentInfo, address tokenStore, uint256 amount, bytes collectorData) returns()
func (eRC3009PaymentCollector *ERC3009PaymentCollector) TryPackCollectTokens(paymentInfo AuthCaptureEscrowPaymentInfo, tokenStore common.Address, amount *big.Int, collectorData []byte) ([]byte, error) {
	return eRC3009PaymentCollector.abi.Pack("collectTokens", paymentInfo, tokenStore, amount, collectorData)
}

// PackCollectorType is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xccdafa11.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function collectorType() pure returns(uint8)
func (eRC3009PaymentCollector *ERC3009PaymentCollector) PackCollectorType() []byte {
	enc, err := eRC3009PaymentCollector.abi.Pack("collectorType")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackCollectorType is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xccdafa11.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function collectorType() pure returns(uint8)
func (eRC3009PaymentCollector *ERC3009PaymentCollector) TryPackCollectorType() ([]byte, error) {
	return eRC3009PaymentCollector.abi.Pack("collectorType")
}

// UnpackCollectorType is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xccdafa11.
//
// Solidity: function collectorType() pure returns(uint8)
func (eRC3009PaymentCollector *ERC3009PaymentCollector) UnpackCollectorType(data []byte) (uint8, error) {
	out, err := eRC3009PaymentCollector.abi.Unpack("collectorType", data)
	if err != nil {
		return *new(uint8), err
	}
	out0 := *abi.ConvertType(out[0], new(uint8)).(*uint8)
	return out0, nil
}

// PackMulticall3 is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x94b41e52.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function multicall3() view returns(address)
func (eRC3009PaymentCollector *ERC3009PaymentCollector) PackMulticall3() []byte {
	enc, err := eRC3009PaymentCollector.abi.Pack("multicall3")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackMulticall3 is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x94b41e52.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function multicall3() view returns(address)
func (eRC3009PaymentCollector *ERC3009PaymentCollector) TryPackMulticall3() ([]byte, error) {
	return eRC3009PaymentCollector.abi.Pack("multicall3")
}

// UnpackMulticall3 is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x94b41e52.
//
// Solidity: function multicall3() view returns(address)
func (eRC3009PaymentCollector *ERC3009PaymentCollector) UnpackMulticall3(data []byte) (common.Address, error) {
	out, err := eRC3009PaymentCollector.abi.Unpack("multicall3", data)
	if err != nil {
		return *new(common.Address), err
	}
	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)
	return out0, nil
}

// UnpackError attempts to decode the provided error data using user-defined
// error definitions.
func (eRC3009PaymentCollector *ERC3009PaymentCollector) UnpackError(raw []byte) (any, error) {
	if bytes.Equal(raw[:4], eRC3009PaymentCollector.abi.Errors["OnlyAuthCaptureEscrow"].ID.Bytes()[:4]) {
		return eRC3009PaymentCollector.UnpackOnlyAuthCaptureEscrowError(raw[4:])
	}
	if bytes.Equal(raw[:4], eRC3009PaymentCollector.abi.Errors["SafeERC20FailedOperation"].ID.Bytes()[:4]) {
		return eRC3009PaymentCollector.UnpackSafeERC20FailedOperationError(raw[4:])
	}
	return nil, errors.New("Unknown error")
}

// ERC3009PaymentCollectorOnlyAuthCaptureEscrow represents a OnlyAuthCaptureEscrow error raised by the ERC3009PaymentCollector contract.
type ERC3009PaymentCollectorOnlyAuthCaptureEscrow struct {
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error OnlyAuthCaptureEscrow()
func ERC3009PaymentCollectorOnlyAuthCaptureEscrowErrorID() common.Hash {
	return common.HexToHash("0xbde034f99a4f531f55f3693945423eae0a54fe82e1db6846bf97b7d2f0fa14d1")
}

// UnpackOnlyAuthCaptureEscrowError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error OnlyAuthCaptureEscrow()
func (eRC3009PaymentCollector *ERC3009PaymentCollector) UnpackOnlyAuthCaptureEscrowError(raw []byte) (*ERC3009PaymentCollectorOnlyAuthCaptureEscrow, error) {
	out := new(ERC3009PaymentCollectorOnlyAuthCaptureEscrow)
	if err := eRC3009PaymentCollector.abi.UnpackIntoInterface(out, "OnlyAuthCaptureEscrow", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// ERC3009PaymentCollectorSafeERC20FailedOperation represents a SafeERC20FailedOperation error raised by the ERC3009PaymentCollector contract.
type ERC3009PaymentCollectorSafeERC20FailedOperation struct {
	Token common.Address
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error SafeERC20FailedOperation(address token)
func ERC3009PaymentCollectorSafeERC20FailedOperationErrorID() common.Hash {
	return common.HexToHash("0x5274afe73c98b4749fc91ffae6b7b574e7842cb2144a159e9377a5f20b32edf9")
}

// UnpackSafeERC20FailedOperationError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error SafeERC20FailedOperation(address token)
func (eRC3009PaymentCollector *ERC3009PaymentCollector) UnpackSafeERC20FailedOperationError(raw []byte) (*ERC3009PaymentCollectorSafeERC20FailedOperation, error) {
	out := new(ERC3009PaymentCollectorSafeERC20FailedOperation)
	if err := eRC3009PaymentCollector.abi.UnpackIntoInterface(out, "SafeERC20FailedOperation", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// Multicall3LiteMetaData contains all meta data concerning the Multicall3Lite contract.
var Multicall3LiteMetaData = bind.MetaData{
	ABI: "[{\"inputs\":[{\"internalType\":\"bool\",\"name\":\"requireSuccess\",\"type\":\"bool\"},{\"components\":[{\"internalType\":\"address\",\"name\":\"target\",\"type\":\"address\"},{\"internalType\":\"bytes\",\"name\":\"callData\",\"type\":\"bytes\"}],\"internalType\":\"structIMulticall3.Call[]\",\"name\":\"calls\",\"type\":\"tuple[]\"}],\"name\":\"tryAggregate\",\"outputs\":[{\"components\":[{\"internalType\":\"bool\",\"name\":\"success\",\"type\":\"bool\"},{\"internalType\":\"bytes\",\"name\":\"returnData\",\"type\":\"bytes\"}],\"internalType\":\"structIMulticall3.Result[]\",\"name\":\"returnData\",\"type\":\"tuple[]\"}],\"stateMutability\":\"payable\",\"type\":\"function\"}]",
	ID:  "0e67647be0d774f604bc0c978327f83e4f",
	Bin: "0x6080604052348015600e575f5ffd5b5061043d8061001c5f395ff3fe60806040526004361061001d575f3560e01c8063bce38bd714610021575b5f5ffd5b61003461002f366004610219565b61004a565b60405161004191906102a0565b60405180910390f35b60608167ffffffffffffffff8111156100655761006561033b565b6040519080825280602002602001820160405280156100aa57816020015b604080518082019091525f8152606060208201528152602001906001900390816100835790505b5090505f5b82811015610211575f5f8585848181106100cb576100cb61034f565b90506020028101906100dd9190610363565b6100eb906020810190610381565b6001600160a01b03168686858181106101065761010661034f565b90506020028101906101189190610363565b6101269060208101906103ae565b6040516101349291906103f8565b5f604051808303815f865af19150503d805f811461016d576040519150601f19603f3d011682016040523d82523d5f602084013e610172565b606091505b5091509150868015610182575081155b156101d35760405162461bcd60e51b815260206004820152601760248201527f4d756c746963616c6c333a2063616c6c206661696c6564000000000000000000604482015260640160405180910390fd5b60405180604001604052808315158152602001828152508484815181106101fc576101fc61034f565b602090810291909101015250506001016100af565b509392505050565b5f5f5f6040848603121561022b575f5ffd5b8335801515811461023a575f5ffd5b9250602084013567ffffffffffffffff811115610255575f5ffd5b8401601f81018613610265575f5ffd5b803567ffffffffffffffff81111561027b575f5ffd5b8660208260051b840101111561028f575f5ffd5b939660209190910195509293505050565b5f602082016020835280845180835260408501915060408160051b8601019250602086015f5b8281101561032f57603f198786030184528151805115158652602081015190506040602087015280518060408801528060208301606089015e5f606082890101526060601f19601f830116880101965050506020820191506020840193506001810190506102c6565b50929695505050505050565b634e487b7160e01b5f52604160045260245ffd5b634e487b7160e01b5f52603260045260245ffd5b5f8235603e19833603018112610377575f5ffd5b9190910192915050565b5f60208284031215610391575f5ffd5b81356001600160a01b03811681146103a7575f5ffd5b9392505050565b5f5f8335601e198436030181126103c3575f5ffd5b83018035915067ffffffffffffffff8211156103dd575f5ffd5b6020019150368190038213156103f1575f5ffd5b9250929050565b818382375f910190815291905056fea2646970667358221220948b34fd50eea3a09cd7a4afde4c88c8e9f25f474442ca97921a19e7411dcaac64736f6c634300081c0033",
}

// Multicall3Lite is an auto generated Go binding around an Ethereum contract.
type Multicall3Lite struct {
	abi abi.ABI
}

// GetABI returns the ABI associated with this contract binding.
func (c *Multicall3Lite) GetABI() abi.ABI {
	return c.abi
}

// NewMulticall3Lite creates a new instance of Multicall3Lite.
func NewMulticall3Lite() *Multicall3Lite {
	parsed, err := Multicall3LiteMetaData.ParseABI()
	if err != nil {
		panic(errors.New("invalid ABI: " + err.Error()))
	}
	return &Multicall3Lite{abi: *parsed}
}

// Instance creates a wrapper for a deployed contract instance at the given address.
// Use this to create the instance object passed to abigen v2 library functions Call, Transact, etc.
func (c *Multicall3Lite) Instance(backend bind.ContractBackend, addr common.Address) *bind.BoundContract {
	return bind.NewBoundContract(addr, c.abi, backend, backend, backend)
}

// PackTryAggregate is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xbce38bd7.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function tryAggregate(bool requireSuccess, (address,bytes)[] calls) payable returns((bool,bytes)[] returnData)
func (multicall3Lite *Multicall3Lite) PackTryAggregate(requireSuccess bool, calls []IMulticall3Call) []byte {
	enc, err := multicall3Lite.abi.Pack("tryAggregate", requireSuccess, calls)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackTryAggregate is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xbce38bd7.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function tryAggregate(bool requireSuccess, (address,bytes)[] calls) payable returns((bool,bytes)[] returnData)
func (multicall3Lite *Multicall3Lite) TryPackTryAggregate(requireSuccess bool, calls []IMulticall3Call) ([]byte, error) {
	return multicall3Lite.abi.Pack("tryAggregate", requireSuccess, calls)
}

// UnpackTryAggregate is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xbce38bd7.
//
// Solidity: function tryAggregate(bool requireSuccess, (address,bytes)[] calls) payable returns((bool,bytes)[] returnData)
func (multicall3Lite *Multicall3Lite) UnpackTryAggregate(data []byte) ([]IMulticall3Result, error) {
	out, err := multicall3Lite.abi.Unpack("tryAggregate", data)
	if err != nil {
		return *new([]IMulticall3Result), err
	}
	out0 := *abi.ConvertType(out[0], new([]IMulticall3Result)).(*[]IMulticall3Result)
	return out0, nil
}

// OperatorRefundCollectorMetaData contains all meta data concerning the OperatorRefundCollector contract.
var OperatorRefundCollectorMetaData = bind.MetaData{
	ABI: "[{\"inputs\":[{\"internalType\":\"address\",\"name\":\"authCaptureEscrow_\",\"type\":\"address\"}],\"stateMutability\":\"nonpayable\",\"type\":\"constructor\"},{\"inputs\":[],\"name\":\"OnlyAuthCaptureEscrow\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"token\",\"type\":\"address\"}],\"name\":\"SafeERC20FailedOperation\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"authCaptureEscrow\",\"outputs\":[{\"internalType\":\"contractAuthCaptureEscrow\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"components\":[{\"internalType\":\"address\",\"name\":\"operator\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"payer\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"receiver\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"token\",\"type\":\"address\"},{\"internalType\":\"uint120\",\"name\":\"maxAmount\",\"type\":\"uint120\"},{\"internalType\":\"uint48\",\"name\":\"preApprovalExpiry\",\"type\":\"uint48\"},{\"internalType\":\"uint48\",\"name\":\"authorizationExpiry\",\"type\":\"uint48\"},{\"internalType\":\"uint48\",\"name\":\"refundExpiry\",\"type\":\"uint48\"},{\"internalType\":\"uint16\",\"name\":\"minFeeBps\",\"type\":\"uint16\"},{\"internalType\":\"uint16\",\"name\":\"maxFeeBps\",\"type\":\"uint16\"},{\"internalType\":\"address\",\"name\":\"feeReceiver\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"salt\",\"type\":\"uint256\"}],\"internalType\":\"structAuthCaptureEscrow.PaymentInfo\",\"name\":\"paymentInfo\",\"type\":\"tuple\"},{\"internalType\":\"address\",\"name\":\"tokenStore\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"},{\"internalType\":\"bytes\",\"name\":\"collectorData\",\"type\":\"bytes\"}],\"name\":\"collectTokens\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"collectorType\",\"outputs\":[{\"internalType\":\"enumTokenCollector.CollectorType\",\"name\":\"\",\"type\":\"uint8\"}],\"stateMutability\":\"pure\",\"type\":\"function\"}]",
	ID:  "c80b3778e080ebcd0d93e385b3a15e324c",
	Bin: "0x60a0604052348015600e575f5ffd5b50604051610392380380610392833981016040819052602b91603b565b6001600160a01b03166080526066565b5f60208284031215604a575f5ffd5b81516001600160a01b0381168114605f575f5ffd5b9392505050565b60805161030f6100835f395f81816048015260b6015261030f5ff3fe608060405234801561000f575f5ffd5b506004361061003f575f3560e01c806340865734146100435780634988478814610087578063ccdafa111461009c575b5f5ffd5b61006a7f000000000000000000000000000000000000000000000000000000000000000081565b6040516001600160a01b0390911681526020015b60405180910390f35b61009a6100953660046101f2565b6100ab565b005b600160405161007e9190610293565b336001600160a01b037f000000000000000000000000000000000000000000000000000000000000000016146100f45760405163bde034f960e01b815260040160405180910390fd5b6101018585858585610108565b5050505050565b61010161011b60808701606088016102b9565b61012860208801886102b9565b868661013884848484600161016a565b61016457604051635274afe760e01b81526001600160a01b038516600482015260240160405180910390fd5b50505050565b6040516323b872dd60e01b5f8181526001600160a01b038781166004528616602452604485905291602083606481808c5af1925060015f511483166101c65783831516156101ba573d5f823e3d81fd5b5f883b113d1516831692505b604052505f60605295945050505050565b80356001600160a01b03811681146101ed575f5ffd5b919050565b5f5f5f5f5f8587036101e0811215610208575f5ffd5b610180811215610216575f5ffd5b5085945061022761018087016101d7565b93506101a086013592506101c086013567ffffffffffffffff81111561024b575f5ffd5b8601601f8101881361025b575f5ffd5b803567ffffffffffffffff811115610271575f5ffd5b886020828401011115610282575f5ffd5b959894975092955050506020019190565b60208101600283106102b357634e487b7160e01b5f52602160045260245ffd5b91905290565b5f602082840312156102c9575f5ffd5b6102d2826101d7565b939250505056fea26469706673582212202a5ef47473539692de1532ada30c77911165814cf98c09e89e8fd41d8b788bd464736f6c634300081c0033",
}

// OperatorRefundCollector is an auto generated Go binding around an Ethereum contract.
type OperatorRefundCollector struct {
	abi abi.ABI
}

// GetABI returns the ABI associated with this contract binding.
func (c *OperatorRefundCollector) GetABI() abi.ABI {
	return c.abi
}

// NewOperatorRefundCollector creates a new instance of OperatorRefundCollector.
func NewOperatorRefundCollector() *OperatorRefundCollector {
	parsed, err := OperatorRefundCollectorMetaData.ParseABI()
	if err != nil {
		panic(errors.New("invalid ABI: " + err.Error()))
	}
	return &OperatorRefundCollector{abi: *parsed}
}

// Instance creates a wrapper for a deployed contract instance at the given address.
// Use this to create the instance object passed to abigen v2 library functions Call, Transact, etc.
func (c *OperatorRefundCollector) Instance(backend bind.ContractBackend, addr common.Address) *bind.BoundContract {
	return bind.NewBoundContract(addr, c.abi, backend, backend, backend)
}

// PackConstructor is the Go binding used to pack the parameters required for
// contract deployment.
//
// Solidity: constructor(address authCaptureEscrow_) returns()
func (operatorRefundCollector *OperatorRefundCollector) PackConstructor(authCaptureEscrow_ common.Address) []byte {
	enc, err := operatorRefundCollector.abi.Pack("", authCaptureEscrow_)
	if err != nil {
		panic(err)
	}
	return enc
}

// PackAuthCaptureEscrow is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x40865734.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function authCaptureEscrow() view returns(address)
func (operatorRefundCollector *OperatorRefundCollector) PackAuthCaptureEscrow() []byte {
	enc, err := operatorRefundCollector.abi.Pack("authCaptureEscrow")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackAuthCaptureEscrow is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x40865734.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function authCaptureEscrow() view returns(address)
func (operatorRefundCollector *OperatorRefundCollector) TryPackAuthCaptureEscrow() ([]byte, error) {
	return operatorRefundCollector.abi.Pack("authCaptureEscrow")
}

// UnpackAuthCaptureEscrow is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x40865734.
//
// Solidity: function authCaptureEscrow() view returns(address)
func (operatorRefundCollector *OperatorRefundCollector) UnpackAuthCaptureEscrow(data []byte) (common.Address, error) {
	out, err := operatorRefundCollector.abi.Unpack("authCaptureEscrow", data)
	if err != nil {
		return *new(common.Address), err
	}
	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)
	return out0, nil
}

// PackCollectTokens is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x49884788.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function collectTokens((address,address,address,address,uint120,uint48,uint48,uint48,uint16,uint16,address,uint256) paymentInfo, address tokenStore, uint256 amount, bytes collectorData) returns()
func (operatorRefundCollector *OperatorRefundCollector) PackCollectTokens(paymentInfo AuthCaptureEscrowPaymentInfo, tokenStore common.Address, amount *big.Int, collectorData []byte) []byte {
	enc, err := operatorRefundCollector.abi.Pack("collectTokens", paymentInfo, tokenStore, amount, collectorData)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackCollectTokens is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x49884788.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function collectTokens((address,address,address,address,uint120,uint48,uint48,uint48,uint16,uint16,address,uint256) paymentInfo, address tokenStore, uint256 amount, bytes collectorData) returns()
func (operatorRefundCollector *OperatorRefundCollector) TryPackCollectTokens(paymentInfo AuthCaptureEscrowPaymentInfo, tokenStore common.Address, amount *big.Int, collectorData []byte) ([]byte, error) {
	return operatorRefundCollector.abi.Pack("collectTokens", paymentInfo, tokenStore, amount, collectorData)
}

// PackCollectorType is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xccdafa11.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function collectorType() pure returns(uint8)
func (operatorRefundCollector *OperatorRefundCollector) PackCollectorType() []byte {
	enc, err := operatorRefundCollector.abi.Pack("collectorType")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackCollectorType is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xccdafa11.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function collectorType() pure returns(uint8)
func (operatorRefundCollector *OperatorRefundCollector) TryPackCollectorType() ([]byte, error) {
	return operatorRefundCollector.abi.Pack("collectorType")
}

// UnpackCollectorType is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xccdafa11.
//
// Solidity: function collectorType() pure returns(uint8)
func (operatorRefundCollector *OperatorRefundCollector) UnpackCollectorType(data []byte) (uint8, error) {
	out, err := operatorRefundCollector.abi.Unpack("collectorType", data)
	if err != nil {
		return *new(uint8), err
	}
	out0 := *abi.ConvertType(out[0], new(uint8)).(*uint8)
	return out0, nil
}

// UnpackError attempts to decode the provided error data using user-defined
// error definitions.
func (operatorRefundCollector *OperatorRefundCollector) UnpackError(raw []byte) (any, error) {
	if bytes.Equal(raw[:4], operatorRefundCollector.abi.Errors["OnlyAuthCaptureEscrow"].ID.Bytes()[:4]) {
		return operatorRefundCollector.UnpackOnlyAuthCaptureEscrowError(raw[4:])
	}
	if bytes.Equal(raw[:4], operatorRefundCollector.abi.Errors["SafeERC20FailedOperation"].ID.Bytes()[:4]) {
		return operatorRefundCollector.UnpackSafeERC20FailedOperationError(raw[4:])
	}
	return nil, errors.New("Unknown error")
}

// OperatorRefundCollectorOnlyAuthCaptureEscrow represents a OnlyAuthCaptureEscrow error raised by the OperatorRefundCollector contract.
type OperatorRefundCollectorOnlyAuthCaptureEscrow struct {
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error OnlyAuthCaptureEscrow()
func OperatorRefundCollectorOnlyAuthCaptureEscrowErrorID() common.Hash {
	return common.HexToHash("0xbde034f99a4f531f55f3693945423eae0a54fe82e1db6846bf97b7d2f0fa14d1")
}

// UnpackOnlyAuthCaptureEscrowError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error OnlyAuthCaptureEscrow()
func (operatorRefundCollector *OperatorRefundCollector) UnpackOnlyAuthCaptureEscrowError(raw []byte) (*OperatorRefundCollectorOnlyAuthCaptureEscrow, error) {
	out := new(OperatorRefundCollectorOnlyAuthCaptureEscrow)
	if err := operatorRefundCollector.abi.UnpackIntoInterface(out, "OnlyAuthCaptureEscrow", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// OperatorRefundCollectorSafeERC20FailedOperation represents a SafeERC20FailedOperation error raised by the OperatorRefundCollector contract.
type OperatorRefundCollectorSafeERC20FailedOperation struct {
	Token common.Address
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error SafeERC20FailedOperation(address token)
func OperatorRefundCollectorSafeERC20FailedOperationErrorID() common.Hash {
	return common.HexToHash("0x5274afe73c98b4749fc91ffae6b7b574e7842cb2144a159e9377a5f20b32edf9")
}

// UnpackSafeERC20FailedOperationError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error SafeERC20FailedOperation(address token)
func (operatorRefundCollector *OperatorRefundCollector) UnpackSafeERC20FailedOperationError(raw []byte) (*OperatorRefundCollectorSafeERC20FailedOperation, error) {
	out := new(OperatorRefundCollectorSafeERC20FailedOperation)
	if err := operatorRefundCollector.abi.UnpackIntoInterface(out, "SafeERC20FailedOperation", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// TestHostileCollectorMetaData contains all meta data concerning the TestHostileCollector contract.
var TestHostileCollectorMetaData = bind.MetaData{
	ABI: "[{\"inputs\":[{\"internalType\":\"address\",\"name\":\"authCaptureEscrow_\",\"type\":\"address\"},{\"internalType\":\"enumTokenCollector.CollectorType\",\"name\":\"kind\",\"type\":\"uint8\"}],\"stateMutability\":\"nonpayable\",\"type\":\"constructor\"},{\"inputs\":[],\"name\":\"OnlyAuthCaptureEscrow\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"MODE_EXTRA\",\"outputs\":[{\"internalType\":\"uint8\",\"name\":\"\",\"type\":\"uint8\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"MODE_NOTHING\",\"outputs\":[{\"internalType\":\"uint8\",\"name\":\"\",\"type\":\"uint8\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"MODE_REENTER\",\"outputs\":[{\"internalType\":\"uint8\",\"name\":\"\",\"type\":\"uint8\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"authCaptureEscrow\",\"outputs\":[{\"internalType\":\"contractAuthCaptureEscrow\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"components\":[{\"internalType\":\"address\",\"name\":\"operator\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"payer\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"receiver\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"token\",\"type\":\"address\"},{\"internalType\":\"uint120\",\"name\":\"maxAmount\",\"type\":\"uint120\"},{\"internalType\":\"uint48\",\"name\":\"preApprovalExpiry\",\"type\":\"uint48\"},{\"internalType\":\"uint48\",\"name\":\"authorizationExpiry\",\"type\":\"uint48\"},{\"internalType\":\"uint48\",\"name\":\"refundExpiry\",\"type\":\"uint48\"},{\"internalType\":\"uint16\",\"name\":\"minFeeBps\",\"type\":\"uint16\"},{\"internalType\":\"uint16\",\"name\":\"maxFeeBps\",\"type\":\"uint16\"},{\"internalType\":\"address\",\"name\":\"feeReceiver\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"salt\",\"type\":\"uint256\"}],\"internalType\":\"structAuthCaptureEscrow.PaymentInfo\",\"name\":\"paymentInfo\",\"type\":\"tuple\"},{\"internalType\":\"address\",\"name\":\"tokenStore\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"},{\"internalType\":\"bytes\",\"name\":\"collectorData\",\"type\":\"bytes\"}],\"name\":\"collectTokens\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"collectorType\",\"outputs\":[{\"internalType\":\"enumTokenCollector.CollectorType\",\"name\":\"\",\"type\":\"uint8\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"mode\",\"outputs\":[{\"internalType\":\"uint8\",\"name\":\"\",\"type\":\"uint8\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint8\",\"name\":\"mode_\",\"type\":\"uint8\"}],\"name\":\"setMode\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"}]",
	ID:  "2ed3f49fa58f137c4c163edc8036a292b8",
	Bin: "0x60c060405234801561000f575f5ffd5b5060405161073438038061073483398101604081905261002e9161006c565b6001600160a01b03821660805280600181111561004d5761004d6100b2565b60a0816001811115610061576100616100b2565b8152505050506100c6565b5f5f6040838503121561007d575f5ffd5b82516001600160a01b0381168114610093575f5ffd5b6020840151909250600281106100a7575f5ffd5b809150509250929050565b634e487b7160e01b5f52602160045260245ffd5b60805160a0516106406100f45f395f61013401525f818160de0152818161017301526102d201526106405ff3fe608060405234801561000f575f5ffd5b5060043610610085575f3560e01c806349884788116100585780634988478814610118578063bfc9e6941461012b578063ccdafa1114610132578063de5125d914610160575f5ffd5b8063050981fb1461008957806321175b4a146100a8578063295a5212146100cd57806340865734146100d9575b5f5ffd5b610091600181565b60405160ff90911681526020015b60405180910390f35b6100cb6100b636600461033b565b5f805460ff191660ff92909216919091179055565b005b5f546100919060ff1681565b6101007f000000000000000000000000000000000000000000000000000000000000000081565b6040516001600160a01b03909116815260200161009f565b6100cb61012636600461037d565b610168565b6100915f81565b7f000000000000000000000000000000000000000000000000000000000000000060405161009f919061041e565b610091600281565b336001600160a01b037f000000000000000000000000000000000000000000000000000000000000000016146101b15760405163bde034f960e01b815260040160405180910390fd5b6101be85858585856101c5565b5050505050565b5f5460ff165f19016102ae576101e16080860160608701610444565b6001600160a01b031663a9059cbb856101fb86600161045d565b6040516001600160e01b031960e085901b1681526001600160a01b03909216600483015260248201526044016020604051808303815f875af1158015610243573d5f5f3e3d5ffd5b505050506040513d601f19601f820116820180604052508101906102679190610482565b6102a95760405162461bcd60e51b815260206004820152600f60248201526e1d1c985b9cd9995c8819985a5b1959608a1b604482015260640160405180910390fd5b6101be565b5f5460ff16600119016101be5760405163fa1cad1760e01b81526001600160a01b037f0000000000000000000000000000000000000000000000000000000000000000169063fa1cad17906103079088906004016104dd565b5f604051808303815f87803b15801561031e575f5ffd5b505af1158015610330573d5f5f3e3d5ffd5b505050505050505050565b5f6020828403121561034b575f5ffd5b813560ff8116811461035b575f5ffd5b9392505050565b80356001600160a01b0381168114610378575f5ffd5b919050565b5f5f5f5f5f8587036101e0811215610393575f5ffd5b6101808112156103a1575f5ffd5b508594506103b26101808701610362565b93506101a086013592506101c086013567ffffffffffffffff8111156103d6575f5ffd5b8601601f810188136103e6575f5ffd5b803567ffffffffffffffff8111156103fc575f5ffd5b88602082840101111561040d575f5ffd5b959894975092955050506020019190565b602081016002831061043e57634e487b7160e01b5f52602160045260245ffd5b91905290565b5f60208284031215610454575f5ffd5b61035b82610362565b8082018082111561047c57634e487b7160e01b5f52601160045260245ffd5b92915050565b5f60208284031215610492575f5ffd5b8151801515811461035b575f5ffd5b80356001600160781b0381168114610378575f5ffd5b803565ffffffffffff81168114610378575f5ffd5b803561ffff81168114610378575f5ffd5b61018081016104fc826104ef85610362565b6001600160a01b03169052565b61050860208401610362565b6001600160a01b0316602083015261052260408401610362565b6001600160a01b0316604083015261053c60608401610362565b6001600160a01b03166060830152610556608084016104a1565b6001600160781b0316608083015261057060a084016104b7565b65ffffffffffff1660a083015261058960c084016104b7565b65ffffffffffff1660c08301526105a260e084016104b7565b65ffffffffffff1660e08301526105bc61010084016104cc565b61ffff166101008301526105d361012084016104cc565b61ffff166101208301526105ea6101408401610362565b6001600160a01b038116610140840152506101609283013591909201529056fea26469706673582212209a9c8a01a1789afffbc383f7ba946c3a2797eb05162468456eff907ed2a670f764736f6c634300081c0033",
}

// TestHostileCollector is an auto generated Go binding around an Ethereum contract.
type TestHostileCollector struct {
	abi abi.ABI
}

// GetABI returns the ABI associated with this contract binding.
func (c *TestHostileCollector) GetABI() abi.ABI {
	return c.abi
}

// NewTestHostileCollector creates a new instance of TestHostileCollector.
func NewTestHostileCollector() *TestHostileCollector {
	parsed, err := TestHostileCollectorMetaData.ParseABI()
	if err != nil {
		panic(errors.New("invalid ABI: " + err.Error()))
	}
	return &TestHostileCollector{abi: *parsed}
}

// Instance creates a wrapper for a deployed contract instance at the given address.
// Use this to create the instance object passed to abigen v2 library functions Call, Transact, etc.
func (c *TestHostileCollector) Instance(backend bind.ContractBackend, addr common.Address) *bind.BoundContract {
	return bind.NewBoundContract(addr, c.abi, backend, backend, backend)
}

// PackConstructor is the Go binding used to pack the parameters required for
// contract deployment.
//
// Solidity: constructor(address authCaptureEscrow_, uint8 kind) returns()
func (testHostileCollector *TestHostileCollector) PackConstructor(authCaptureEscrow_ common.Address, kind uint8) []byte {
	enc, err := testHostileCollector.abi.Pack("", authCaptureEscrow_, kind)
	if err != nil {
		panic(err)
	}
	return enc
}

// PackMODEEXTRA is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x050981fb.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function MODE_EXTRA() view returns(uint8)
func (testHostileCollector *TestHostileCollector) PackMODEEXTRA() []byte {
	enc, err := testHostileCollector.abi.Pack("MODE_EXTRA")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackMODEEXTRA is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x050981fb.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function MODE_EXTRA() view returns(uint8)
func (testHostileCollector *TestHostileCollector) TryPackMODEEXTRA() ([]byte, error) {
	return testHostileCollector.abi.Pack("MODE_EXTRA")
}

// UnpackMODEEXTRA is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x050981fb.
//
// Solidity: function MODE_EXTRA() view returns(uint8)
func (testHostileCollector *TestHostileCollector) UnpackMODEEXTRA(data []byte) (uint8, error) {
	out, err := testHostileCollector.abi.Unpack("MODE_EXTRA", data)
	if err != nil {
		return *new(uint8), err
	}
	out0 := *abi.ConvertType(out[0], new(uint8)).(*uint8)
	return out0, nil
}

// PackMODENOTHING is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xbfc9e694.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function MODE_NOTHING() view returns(uint8)
func (testHostileCollector *TestHostileCollector) PackMODENOTHING() []byte {
	enc, err := testHostileCollector.abi.Pack("MODE_NOTHING")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackMODENOTHING is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xbfc9e694.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function MODE_NOTHING() view returns(uint8)
func (testHostileCollector *TestHostileCollector) TryPackMODENOTHING() ([]byte, error) {
	return testHostileCollector.abi.Pack("MODE_NOTHING")
}

// UnpackMODENOTHING is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xbfc9e694.
//
// Solidity: function MODE_NOTHING() view returns(uint8)
func (testHostileCollector *TestHostileCollector) UnpackMODENOTHING(data []byte) (uint8, error) {
	out, err := testHostileCollector.abi.Unpack("MODE_NOTHING", data)
	if err != nil {
		return *new(uint8), err
	}
	out0 := *abi.ConvertType(out[0], new(uint8)).(*uint8)
	return out0, nil
}

// PackMODEREENTER is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xde5125d9.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function MODE_REENTER() view returns(uint8)
func (testHostileCollector *TestHostileCollector) PackMODEREENTER() []byte {
	enc, err := testHostileCollector.abi.Pack("MODE_REENTER")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackMODEREENTER is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xde5125d9.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function MODE_REENTER() view returns(uint8)
func (testHostileCollector *TestHostileCollector) TryPackMODEREENTER() ([]byte, error) {
	return testHostileCollector.abi.Pack("MODE_REENTER")
}

// UnpackMODEREENTER is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xde5125d9.
//
// Solidity: function MODE_REENTER() view returns(uint8)
func (testHostileCollector *TestHostileCollector) UnpackMODEREENTER(data []byte) (uint8, error) {
	out, err := testHostileCollector.abi.Unpack("MODE_REENTER", data)
	if err != nil {
		return *new(uint8), err
	}
	out0 := *abi.ConvertType(out[0], new(uint8)).(*uint8)
	return out0, nil
}

// PackAuthCaptureEscrow is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x40865734.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function authCaptureEscrow() view returns(address)
func (testHostileCollector *TestHostileCollector) PackAuthCaptureEscrow() []byte {
	enc, err := testHostileCollector.abi.Pack("authCaptureEscrow")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackAuthCaptureEscrow is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x40865734.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function authCaptureEscrow() view returns(address)
func (testHostileCollector *TestHostileCollector) TryPackAuthCaptureEscrow() ([]byte, error) {
	return testHostileCollector.abi.Pack("authCaptureEscrow")
}

// UnpackAuthCaptureEscrow is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x40865734.
//
// Solidity: function authCaptureEscrow() view returns(address)
func (testHostileCollector *TestHostileCollector) UnpackAuthCaptureEscrow(data []byte) (common.Address, error) {
	out, err := testHostileCollector.abi.Unpack("authCaptureEscrow", data)
	if err != nil {
		return *new(common.Address), err
	}
	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)
	return out0, nil
}

// PackCollectTokens is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x49884788.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function collectTokens((address,address,address,address,uint120,uint48,uint48,uint48,uint16,uint16,address,uint256) paymentInfo, address tokenStore, uint256 amount, bytes collectorData) returns()
func (testHostileCollector *TestHostileCollector) PackCollectTokens(paymentInfo AuthCaptureEscrowPaymentInfo, tokenStore common.Address, amount *big.Int, collectorData []byte) []byte {
	enc, err := testHostileCollector.abi.Pack("collectTokens", paymentInfo, tokenStore, amount, collectorData)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackCollectTokens is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x49884788.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function collectTokens((address,address,address,address,uint120,uint48,uint48,uint48,uint16,uint16,address,uint256) paymentInfo, address tokenStore, uint256 amount, bytes collectorData) returns()
func (testHostileCollector *TestHostileCollector) TryPackCollectTokens(paymentInfo AuthCaptureEscrowPaymentInfo, tokenStore common.Address, amount *big.Int, collectorData []byte) ([]byte, error) {
	return testHostileCollector.abi.Pack("collectTokens", paymentInfo, tokenStore, amount, collectorData)
}

// PackCollectorType is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xccdafa11.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function collectorType() view returns(uint8)
func (testHostileCollector *TestHostileCollector) PackCollectorType() []byte {
	enc, err := testHostileCollector.abi.Pack("collectorType")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackCollectorType is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xccdafa11.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function collectorType() view returns(uint8)
func (testHostileCollector *TestHostileCollector) TryPackCollectorType() ([]byte, error) {
	return testHostileCollector.abi.Pack("collectorType")
}

// UnpackCollectorType is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xccdafa11.
//
// Solidity: function collectorType() view returns(uint8)
func (testHostileCollector *TestHostileCollector) UnpackCollectorType(data []byte) (uint8, error) {
	out, err := testHostileCollector.abi.Unpack("collectorType", data)
	if err != nil {
		return *new(uint8), err
	}
	out0 := *abi.ConvertType(out[0], new(uint8)).(*uint8)
	return out0, nil
}

// PackMode is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x295a5212.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function mode() view returns(uint8)
func (testHostileCollector *TestHostileCollector) PackMode() []byte {
	enc, err := testHostileCollector.abi.Pack("mode")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackMode is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x295a5212.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function mode() view returns(uint8)
func (testHostileCollector *TestHostileCollector) TryPackMode() ([]byte, error) {
	return testHostileCollector.abi.Pack("mode")
}

// UnpackMode is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x295a5212.
//
// Solidity: function mode() view returns(uint8)
func (testHostileCollector *TestHostileCollector) UnpackMode(data []byte) (uint8, error) {
	out, err := testHostileCollector.abi.Unpack("mode", data)
	if err != nil {
		return *new(uint8), err
	}
	out0 := *abi.ConvertType(out[0], new(uint8)).(*uint8)
	return out0, nil
}

// PackSetMode is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x21175b4a.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function setMode(uint8 mode_) returns()
func (testHostileCollector *TestHostileCollector) PackSetMode(mode uint8) []byte {
	enc, err := testHostileCollector.abi.Pack("setMode", mode)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackSetMode is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x21175b4a.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function setMode(uint8 mode_) returns()
func (testHostileCollector *TestHostileCollector) TryPackSetMode(mode uint8) ([]byte, error) {
	return testHostileCollector.abi.Pack("setMode", mode)
}

// UnpackError attempts to decode the provided error data using user-defined
// error definitions.
func (testHostileCollector *TestHostileCollector) UnpackError(raw []byte) (any, error) {
	if bytes.Equal(raw[:4], testHostileCollector.abi.Errors["OnlyAuthCaptureEscrow"].ID.Bytes()[:4]) {
		return testHostileCollector.UnpackOnlyAuthCaptureEscrowError(raw[4:])
	}
	return nil, errors.New("Unknown error")
}

// TestHostileCollectorOnlyAuthCaptureEscrow represents a OnlyAuthCaptureEscrow error raised by the TestHostileCollector contract.
type TestHostileCollectorOnlyAuthCaptureEscrow struct {
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error OnlyAuthCaptureEscrow()
func TestHostileCollectorOnlyAuthCaptureEscrowErrorID() common.Hash {
	return common.HexToHash("0xbde034f99a4f531f55f3693945423eae0a54fe82e1db6846bf97b7d2f0fa14d1")
}

// UnpackOnlyAuthCaptureEscrowError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error OnlyAuthCaptureEscrow()
func (testHostileCollector *TestHostileCollector) UnpackOnlyAuthCaptureEscrowError(raw []byte) (*TestHostileCollectorOnlyAuthCaptureEscrow, error) {
	out := new(TestHostileCollectorOnlyAuthCaptureEscrow)
	if err := testHostileCollector.abi.UnpackIntoInterface(out, "OnlyAuthCaptureEscrow", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// TokenStoreMetaData contains all meta data concerning the TokenStore contract.
var TokenStoreMetaData = bind.MetaData{
	ABI: "[{\"inputs\":[{\"internalType\":\"address\",\"name\":\"authCaptureEscrow_\",\"type\":\"address\"}],\"stateMutability\":\"nonpayable\",\"type\":\"constructor\"},{\"inputs\":[],\"name\":\"OnlyAuthCaptureEscrow\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"token\",\"type\":\"address\"}],\"name\":\"SafeERC20FailedOperation\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"authCaptureEscrow\",\"outputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"token\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"recipient\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"}],\"name\":\"sendTokens\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"nonpayable\",\"type\":\"function\"}]",
	ID:  "96f77b4944ef97fbcb14456bc7d6812e41",
	Bin: "0x60a0604052348015600e575f5ffd5b506040516102ab3803806102ab833981016040819052602b91603b565b6001600160a01b03166080526066565b5f60208284031215604a575f5ffd5b81516001600160a01b0381168114605f575f5ffd5b9392505050565b6080516102286100835f395f8181603d015260ab01526102285ff3fe608060405234801561000f575f5ffd5b5060043610610034575f3560e01c80634086573414610038578063e6d66ac81461007c575b5f5ffd5b61005f7f000000000000000000000000000000000000000000000000000000000000000081565b6040516001600160a01b0390911681526020015b60405180910390f35b61008f61008a3660046101b9565b61009f565b6040519015158152602001610073565b5f336001600160a01b037f000000000000000000000000000000000000000000000000000000000000000016146100e95760405163bde034f960e01b815260040160405180910390fd5b6100f48484846100fe565b5060019392505050565b61010b838383600161013c565b61013757604051635274afe760e01b81526001600160a01b038416600482015260240160405180910390fd5b505050565b60405163a9059cbb60e01b5f8181526001600160a01b038616600452602485905291602083604481808b5af1925060015f51148316610192578383151615610186573d5f823e3d81fd5b5f873b113d1516831692505b60405250949350505050565b80356001600160a01b03811681146101b4575f5ffd5b919050565b5f5f5f606084860312156101cb575f5ffd5b6101d48461019e565b92506101e26020850161019e565b915060408401359050925092509256fea2646970667358221220b6953f97375fd932a86191dbd566f9c0089b965590af744796f857e188e9707464736f6c634300081c0033",
}

// TokenStore is an auto generated Go binding around an Ethereum contract.
type TokenStore struct {
	abi abi.ABI
}

// GetABI returns the ABI associated with this contract binding.
func (c *TokenStore) GetABI() abi.ABI {
	return c.abi
}

// NewTokenStore creates a new instance of TokenStore.
func NewTokenStore() *TokenStore {
	parsed, err := TokenStoreMetaData.ParseABI()
	if err != nil {
		panic(errors.New("invalid ABI: " + err.Error()))
	}
	return &TokenStore{abi: *parsed}
}

// Instance creates a wrapper for a deployed contract instance at the given address.
// Use this to create the instance object passed to abigen v2 library functions Call, Transact, etc.
func (c *TokenStore) Instance(backend bind.ContractBackend, addr common.Address) *bind.BoundContract {
	return bind.NewBoundContract(addr, c.abi, backend, backend, backend)
}

// PackConstructor is the Go binding used to pack the parameters required for
// contract deployment.
//
// Solidity: constructor(address authCaptureEscrow_) returns()
func (tokenStore *TokenStore) PackConstructor(authCaptureEscrow_ common.Address) []byte {
	enc, err := tokenStore.abi.Pack("", authCaptureEscrow_)
	if err != nil {
		panic(err)
	}
	return enc
}

// PackAuthCaptureEscrow is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x40865734.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function authCaptureEscrow() view returns(address)
func (tokenStore *TokenStore) PackAuthCaptureEscrow() []byte {
	enc, err := tokenStore.abi.Pack("authCaptureEscrow")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackAuthCaptureEscrow is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x40865734.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function authCaptureEscrow() view returns(address)
func (tokenStore *TokenStore) TryPackAuthCaptureEscrow() ([]byte, error) {
	return tokenStore.abi.Pack("authCaptureEscrow")
}

// UnpackAuthCaptureEscrow is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x40865734.
//
// Solidity: function authCaptureEscrow() view returns(address)
func (tokenStore *TokenStore) UnpackAuthCaptureEscrow(data []byte) (common.Address, error) {
	out, err := tokenStore.abi.Unpack("authCaptureEscrow", data)
	if err != nil {
		return *new(common.Address), err
	}
	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)
	return out0, nil
}

// PackSendTokens is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xe6d66ac8.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function sendTokens(address token, address recipient, uint256 amount) returns(bool)
func (tokenStore *TokenStore) PackSendTokens(token common.Address, recipient common.Address, amount *big.Int) []byte {
	enc, err := tokenStore.abi.Pack("sendTokens", token, recipient, amount)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackSendTokens is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xe6d66ac8.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function sendTokens(address token, address recipient, uint256 amount) returns(bool)
func (tokenStore *TokenStore) TryPackSendTokens(token common.Address, recipient common.Address, amount *big.Int) ([]byte, error) {
	return tokenStore.abi.Pack("sendTokens", token, recipient, amount)
}

// UnpackSendTokens is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xe6d66ac8.
//
// Solidity: function sendTokens(address token, address recipient, uint256 amount) returns(bool)
func (tokenStore *TokenStore) UnpackSendTokens(data []byte) (bool, error) {
	out, err := tokenStore.abi.Unpack("sendTokens", data)
	if err != nil {
		return *new(bool), err
	}
	out0 := *abi.ConvertType(out[0], new(bool)).(*bool)
	return out0, nil
}

// UnpackError attempts to decode the provided error data using user-defined
// error definitions.
func (tokenStore *TokenStore) UnpackError(raw []byte) (any, error) {
	if bytes.Equal(raw[:4], tokenStore.abi.Errors["OnlyAuthCaptureEscrow"].ID.Bytes()[:4]) {
		return tokenStore.UnpackOnlyAuthCaptureEscrowError(raw[4:])
	}
	if bytes.Equal(raw[:4], tokenStore.abi.Errors["SafeERC20FailedOperation"].ID.Bytes()[:4]) {
		return tokenStore.UnpackSafeERC20FailedOperationError(raw[4:])
	}
	return nil, errors.New("Unknown error")
}

// TokenStoreOnlyAuthCaptureEscrow represents a OnlyAuthCaptureEscrow error raised by the TokenStore contract.
type TokenStoreOnlyAuthCaptureEscrow struct {
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error OnlyAuthCaptureEscrow()
func TokenStoreOnlyAuthCaptureEscrowErrorID() common.Hash {
	return common.HexToHash("0xbde034f99a4f531f55f3693945423eae0a54fe82e1db6846bf97b7d2f0fa14d1")
}

// UnpackOnlyAuthCaptureEscrowError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error OnlyAuthCaptureEscrow()
func (tokenStore *TokenStore) UnpackOnlyAuthCaptureEscrowError(raw []byte) (*TokenStoreOnlyAuthCaptureEscrow, error) {
	out := new(TokenStoreOnlyAuthCaptureEscrow)
	if err := tokenStore.abi.UnpackIntoInterface(out, "OnlyAuthCaptureEscrow", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// TokenStoreSafeERC20FailedOperation represents a SafeERC20FailedOperation error raised by the TokenStore contract.
type TokenStoreSafeERC20FailedOperation struct {
	Token common.Address
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error SafeERC20FailedOperation(address token)
func TokenStoreSafeERC20FailedOperationErrorID() common.Hash {
	return common.HexToHash("0x5274afe73c98b4749fc91ffae6b7b574e7842cb2144a159e9377a5f20b32edf9")
}

// UnpackSafeERC20FailedOperationError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error SafeERC20FailedOperation(address token)
func (tokenStore *TokenStore) UnpackSafeERC20FailedOperationError(raw []byte) (*TokenStoreSafeERC20FailedOperation, error) {
	out := new(TokenStoreSafeERC20FailedOperation)
	if err := tokenStore.abi.UnpackIntoInterface(out, "SafeERC20FailedOperation", raw); err != nil {
		return nil, err
	}
	return out, nil
}
