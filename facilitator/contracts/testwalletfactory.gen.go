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

// TestWalletFactoryMetaData contains all meta data concerning the TestWalletFactory contract.
var TestWalletFactoryMetaData = bind.MetaData{
	ABI: "[{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"address\",\"name\":\"wallet\",\"type\":\"address\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"owner\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"bytes32\",\"name\":\"salt\",\"type\":\"bytes32\"}],\"name\":\"WalletDeployed\",\"type\":\"event\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"owner\",\"type\":\"address\"},{\"internalType\":\"bytes32\",\"name\":\"salt\",\"type\":\"bytes32\"}],\"name\":\"deploy\",\"outputs\":[{\"internalType\":\"address\",\"name\":\"wallet\",\"type\":\"address\"}],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"owner\",\"type\":\"address\"},{\"internalType\":\"bytes32\",\"name\":\"salt\",\"type\":\"bytes32\"}],\"name\":\"walletAddress\",\"outputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"}]",
	ID:  "TestWalletFactory",
	Bin: "0x6080604052348015600e575f5ffd5b506106068061001c5f395ff3fe608060405234801561000f575f5ffd5b5060043610610034575f3560e01c806332c02a1414610038578063e077182314610067575b5f5ffd5b61004b6100463660046101dc565b61007a565b6040516001600160a01b03909116815260200160405180910390f35b61004b6100753660046101dc565b61010c565b5f8183604051610089906101cf565b6001600160a01b0390911681526020018190604051809103905ff59050801580156100b6573d5f5f3e3d5ffd5b509050826001600160a01b0316816001600160a01b03167f195bcaf5c86c75410014291983a0bc0b60a4ae2874ff863699229144c361a216846040516100fe91815260200190565b60405180910390a392915050565b5f5f6040518060200161011e906101cf565b601f1982820381018352601f9091011660408181526001600160a01b03871660208301520160408051601f19818403018152908290526101619291602001610228565b60408051601f1981840301815282825280516020918201206001600160f81b0319828501523060601b6bffffffffffffffffffffffff191660218501526035840196909652605580840196909652815180840390960186526075909201905283519301929092209392505050565b61038c8061024583390190565b5f5f604083850312156101ed575f5ffd5b82356001600160a01b0381168114610203575f5ffd5b946020939093013593505050565b5f81518060208401855e5f93019283525090919050565b5f61023c6102368386610211565b84610211565b94935050505056fe60a0604052348015600e575f5ffd5b5060405161038c38038061038c833981016040819052602b91603b565b6001600160a01b03166080526066565b5f60208284031215604a575f5ffd5b81516001600160a01b0381168114605f575f5ffd5b9392505050565b6080516103096100835f395f8181606e015260d901526103095ff3fe608060405234801561000f575f5ffd5b5060043610610034575f3560e01c80631626ba7e146100385780638da5cb5b14610069575b5f5ffd5b61004b610046366004610248565b6100a8565b6040516001600160e01b031990911681526020015b60405180910390f35b6100907f000000000000000000000000000000000000000000000000000000000000000081565b6040516001600160a01b039091168152602001610060565b5f5f5f6100b6868686610139565b5090925090505f8160038111156100cf576100cf6102bf565b14801561010d57507f00000000000000000000000000000000000000000000000000000000000000006001600160a01b0316826001600160a01b0316145b156101245750630b135d3f60e11b91506101329050565b506001600160e01b03199150505b9392505050565b5f8080604184900361016d578435602086013560408701355f1a61015f89828585610180565b955095509550505050610177565b505f915060029050825b93509350939050565b5f80807f7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a08411156101b957505f9150600390508261023e565b604080515f808252602082018084528a905260ff891692820192909252606081018790526080810186905260019060a0016020604051602081039080840390855afa15801561020a573d5f5f3e3d5ffd5b5050604051601f1901519150506001600160a01b03811661023557505f92506001915082905061023e565b92505f91508190505b9450945094915050565b5f5f5f6040848603121561025a575f5ffd5b83359250602084013567ffffffffffffffff811115610277575f5ffd5b8401601f81018613610287575f5ffd5b803567ffffffffffffffff81111561029d575f5ffd5b8660208284010111156102ae575f5ffd5b939660209190910195509293505050565b634e487b7160e01b5f52602160045260245ffdfea2646970667358221220fe1bcc18f0c5dab253cbafff62d6a1931aa7291b6324bcc604ef7ef9af29e58864736f6c634300081c0033a264697066735822122090275ef92dd47d4082194c78b0477601eb06ad293a1fea21effef4f8035c18a064736f6c634300081c0033",
}

// TestWalletFactory is an auto generated Go binding around an Ethereum contract.
type TestWalletFactory struct {
	abi abi.ABI
}

// GetABI returns the ABI associated with this contract binding.
func (c *TestWalletFactory) GetABI() abi.ABI {
	return c.abi
}

// NewTestWalletFactory creates a new instance of TestWalletFactory.
func NewTestWalletFactory() *TestWalletFactory {
	parsed, err := TestWalletFactoryMetaData.ParseABI()
	if err != nil {
		panic(errors.New("invalid ABI: " + err.Error()))
	}
	return &TestWalletFactory{abi: *parsed}
}

// Instance creates a wrapper for a deployed contract instance at the given address.
// Use this to create the instance object passed to abigen v2 library functions Call, Transact, etc.
func (c *TestWalletFactory) Instance(backend bind.ContractBackend, addr common.Address) *bind.BoundContract {
	return bind.NewBoundContract(addr, c.abi, backend, backend, backend)
}

// PackDeploy is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x32c02a14.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function deploy(address owner, bytes32 salt) returns(address wallet)
func (testWalletFactory *TestWalletFactory) PackDeploy(owner common.Address, salt [32]byte) []byte {
	enc, err := testWalletFactory.abi.Pack("deploy", owner, salt)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackDeploy is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x32c02a14.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function deploy(address owner, bytes32 salt) returns(address wallet)
func (testWalletFactory *TestWalletFactory) TryPackDeploy(owner common.Address, salt [32]byte) ([]byte, error) {
	return testWalletFactory.abi.Pack("deploy", owner, salt)
}

// UnpackDeploy is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x32c02a14.
//
// Solidity: function deploy(address owner, bytes32 salt) returns(address wallet)
func (testWalletFactory *TestWalletFactory) UnpackDeploy(data []byte) (common.Address, error) {
	out, err := testWalletFactory.abi.Unpack("deploy", data)
	if err != nil {
		return *new(common.Address), err
	}
	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)
	return out0, nil
}

// PackWalletAddress is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xe0771823.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function walletAddress(address owner, bytes32 salt) view returns(address)
func (testWalletFactory *TestWalletFactory) PackWalletAddress(owner common.Address, salt [32]byte) []byte {
	enc, err := testWalletFactory.abi.Pack("walletAddress", owner, salt)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackWalletAddress is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xe0771823.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function walletAddress(address owner, bytes32 salt) view returns(address)
func (testWalletFactory *TestWalletFactory) TryPackWalletAddress(owner common.Address, salt [32]byte) ([]byte, error) {
	return testWalletFactory.abi.Pack("walletAddress", owner, salt)
}

// UnpackWalletAddress is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xe0771823.
//
// Solidity: function walletAddress(address owner, bytes32 salt) view returns(address)
func (testWalletFactory *TestWalletFactory) UnpackWalletAddress(data []byte) (common.Address, error) {
	out, err := testWalletFactory.abi.Unpack("walletAddress", data)
	if err != nil {
		return *new(common.Address), err
	}
	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)
	return out0, nil
}

// TestWalletFactoryWalletDeployed represents a WalletDeployed event raised by the TestWalletFactory contract.
type TestWalletFactoryWalletDeployed struct {
	Wallet common.Address
	Owner  common.Address
	Salt   [32]byte
	Raw    *types.Log // Blockchain specific contextual infos
}

const TestWalletFactoryWalletDeployedEventName = "WalletDeployed"

// ContractEventName returns the user-defined event name.
func (TestWalletFactoryWalletDeployed) ContractEventName() string {
	return TestWalletFactoryWalletDeployedEventName
}

// UnpackWalletDeployedEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event WalletDeployed(address indexed wallet, address indexed owner, bytes32 salt)
func (testWalletFactory *TestWalletFactory) UnpackWalletDeployedEvent(log *types.Log) (*TestWalletFactoryWalletDeployed, error) {
	event := "WalletDeployed"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != testWalletFactory.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(TestWalletFactoryWalletDeployed)
	if len(log.Data) > 0 {
		if err := testWalletFactory.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range testWalletFactory.abi.Events[event].Inputs {
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
