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

// TestWallet1271MetaData contains all meta data concerning the TestWallet1271 contract.
var TestWallet1271MetaData = bind.MetaData{
	ABI: "[{\"inputs\":[{\"internalType\":\"address\",\"name\":\"owner_\",\"type\":\"address\"}],\"stateMutability\":\"nonpayable\",\"type\":\"constructor\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"hash\",\"type\":\"bytes32\"},{\"internalType\":\"bytes\",\"name\":\"signature\",\"type\":\"bytes\"}],\"name\":\"isValidSignature\",\"outputs\":[{\"internalType\":\"bytes4\",\"name\":\"\",\"type\":\"bytes4\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"owner\",\"outputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"}]",
	ID:  "TestWallet1271",
	Bin: "0x60a0604052348015600e575f5ffd5b5060405161038c38038061038c833981016040819052602b91603b565b6001600160a01b03166080526066565b5f60208284031215604a575f5ffd5b81516001600160a01b0381168114605f575f5ffd5b9392505050565b6080516103096100835f395f8181606e015260d901526103095ff3fe608060405234801561000f575f5ffd5b5060043610610034575f3560e01c80631626ba7e146100385780638da5cb5b14610069575b5f5ffd5b61004b610046366004610248565b6100a8565b6040516001600160e01b031990911681526020015b60405180910390f35b6100907f000000000000000000000000000000000000000000000000000000000000000081565b6040516001600160a01b039091168152602001610060565b5f5f5f6100b6868686610139565b5090925090505f8160038111156100cf576100cf6102bf565b14801561010d57507f00000000000000000000000000000000000000000000000000000000000000006001600160a01b0316826001600160a01b0316145b156101245750630b135d3f60e11b91506101329050565b506001600160e01b03199150505b9392505050565b5f8080604184900361016d578435602086013560408701355f1a61015f89828585610180565b955095509550505050610177565b505f915060029050825b93509350939050565b5f80807f7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a08411156101b957505f9150600390508261023e565b604080515f808252602082018084528a905260ff891692820192909252606081018790526080810186905260019060a0016020604051602081039080840390855afa15801561020a573d5f5f3e3d5ffd5b5050604051601f1901519150506001600160a01b03811661023557505f92506001915082905061023e565b92505f91508190505b9450945094915050565b5f5f5f6040848603121561025a575f5ffd5b83359250602084013567ffffffffffffffff811115610277575f5ffd5b8401601f81018613610287575f5ffd5b803567ffffffffffffffff81111561029d575f5ffd5b8660208284010111156102ae575f5ffd5b939660209190910195509293505050565b634e487b7160e01b5f52602160045260245ffdfea2646970667358221220fe1bcc18f0c5dab253cbafff62d6a1931aa7291b6324bcc604ef7ef9af29e58864736f6c634300081c0033",
}

// TestWallet1271 is an auto generated Go binding around an Ethereum contract.
type TestWallet1271 struct {
	abi abi.ABI
}

// GetABI returns the ABI associated with this contract binding.
func (c *TestWallet1271) GetABI() abi.ABI {
	return c.abi
}

// NewTestWallet1271 creates a new instance of TestWallet1271.
func NewTestWallet1271() *TestWallet1271 {
	parsed, err := TestWallet1271MetaData.ParseABI()
	if err != nil {
		panic(errors.New("invalid ABI: " + err.Error()))
	}
	return &TestWallet1271{abi: *parsed}
}

// Instance creates a wrapper for a deployed contract instance at the given address.
// Use this to create the instance object passed to abigen v2 library functions Call, Transact, etc.
func (c *TestWallet1271) Instance(backend bind.ContractBackend, addr common.Address) *bind.BoundContract {
	return bind.NewBoundContract(addr, c.abi, backend, backend, backend)
}

// PackConstructor is the Go binding used to pack the parameters required for
// contract deployment.
//
// Solidity: constructor(address owner_) returns()
func (testWallet1271 *TestWallet1271) PackConstructor(owner_ common.Address) []byte {
	enc, err := testWallet1271.abi.Pack("", owner_)
	if err != nil {
		panic(err)
	}
	return enc
}

// PackIsValidSignature is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x1626ba7e.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function isValidSignature(bytes32 hash, bytes signature) view returns(bytes4)
func (testWallet1271 *TestWallet1271) PackIsValidSignature(hash [32]byte, signature []byte) []byte {
	enc, err := testWallet1271.abi.Pack("isValidSignature", hash, signature)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackIsValidSignature is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x1626ba7e.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function isValidSignature(bytes32 hash, bytes signature) view returns(bytes4)
func (testWallet1271 *TestWallet1271) TryPackIsValidSignature(hash [32]byte, signature []byte) ([]byte, error) {
	return testWallet1271.abi.Pack("isValidSignature", hash, signature)
}

// UnpackIsValidSignature is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x1626ba7e.
//
// Solidity: function isValidSignature(bytes32 hash, bytes signature) view returns(bytes4)
func (testWallet1271 *TestWallet1271) UnpackIsValidSignature(data []byte) ([4]byte, error) {
	out, err := testWallet1271.abi.Unpack("isValidSignature", data)
	if err != nil {
		return *new([4]byte), err
	}
	out0 := *abi.ConvertType(out[0], new([4]byte)).(*[4]byte)
	return out0, nil
}

// PackOwner is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x8da5cb5b.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function owner() view returns(address)
func (testWallet1271 *TestWallet1271) PackOwner() []byte {
	enc, err := testWallet1271.abi.Pack("owner")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackOwner is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x8da5cb5b.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function owner() view returns(address)
func (testWallet1271 *TestWallet1271) TryPackOwner() ([]byte, error) {
	return testWallet1271.abi.Pack("owner")
}

// UnpackOwner is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x8da5cb5b.
//
// Solidity: function owner() view returns(address)
func (testWallet1271 *TestWallet1271) UnpackOwner(data []byte) (common.Address, error) {
	out, err := testWallet1271.abi.Unpack("owner", data)
	if err != nil {
		return *new(common.Address), err
	}
	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)
	return out0, nil
}
