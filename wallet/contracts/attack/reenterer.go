// Code generated via abigen V2 - DO NOT EDIT.
// This file is a generated binding and any manual changes will be lost.

package attack

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

// ReentererMetaData contains all meta data concerning the Reenterer contract.
var ReentererMetaData = bind.MetaData{
	ABI: "[{\"inputs\":[{\"internalType\":\"address\",\"name\":\"target_\",\"type\":\"address\"},{\"internalType\":\"bytes\",\"name\":\"payload_\",\"type\":\"bytes\"}],\"name\":\"arm\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"armed\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"attempts\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"to\",\"type\":\"address\"},{\"internalType\":\"bytes\",\"name\":\"data\",\"type\":\"bytes\"}],\"name\":\"exec\",\"outputs\":[{\"internalType\":\"bytes\",\"name\":\"\",\"type\":\"bytes\"}],\"stateMutability\":\"payable\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"lastOk\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"lastReturn\",\"outputs\":[{\"internalType\":\"bytes\",\"name\":\"\",\"type\":\"bytes\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"payload\",\"outputs\":[{\"internalType\":\"bytes\",\"name\":\"\",\"type\":\"bytes\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"refuseNative\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bool\",\"name\":\"on\",\"type\":\"bool\"}],\"name\":\"setRefuseNative\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"target\",\"outputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"name\":\"tokenHook\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"stateMutability\":\"payable\",\"type\":\"receive\"}]",
	ID:  "Reenterer",
	Bin: "0x6080604052348015600e575f5ffd5b506108588061001c5f395ff3fe60806040526004361061009d575f3560e01c80635754a042116100625780635754a042146101bd5780638d05197c146101e0578063a878f858146101f9578063b086e3731461020d578063be6002c21461022c578063d4b839921461023f575f5ffd5b80632f411093146100fd5780633522bfd01461012b5780633609055b1461014a5780633e9717a814610168578063507773e914610189575f5ffd5b366100f957600254610100900460ff16156100ef5760405162461bcd60e51b815260206004820152600e60248201526d3737903730ba34bb329031b7b4b760911b604482015260640160405180910390fd5b6100f7610275565b005b5f5ffd5b348015610108575f5ffd5b506002546101169060ff1681565b60405190151581526020015b60405180910390f35b348015610136575f5ffd5b506100f7610145366004610495565b610326565b348015610155575f5ffd5b5060025461011690610100900460ff1681565b348015610173575f5ffd5b5061017c610360565b6040516101229190610513565b348015610194575f5ffd5b506100f76101a3366004610548565b600280549115156101000261ff0019909216919091179055565b3480156101c8575f5ffd5b506101d260035481565b604051908152602001610122565b3480156101eb575f5ffd5b506004546101169060ff1681565b348015610204575f5ffd5b5061017c6103ec565b348015610218575f5ffd5b506100f761022736600461056e565b6103f9565b61017c61023a366004610495565b610401565b34801561024a575f5ffd5b505f5461025d906001600160a01b031681565b6040516001600160a01b039091168152602001610122565b60025460ff1661028157565b6002805460ff1916905560038054600191905f906102a09084906105a7565b90915550505f805460405182916001600160a01b0316906102c390600190610604565b5f604051808303815f865af19150503d805f81146102fc576040519150601f19603f3d011682016040523d82523d5f602084013e610301565b606091505b506004805460ff19168315151790559092509050600561032182826106d4565b505050565b5f80546001600160a01b0319166001600160a01b038516179055600161034d82848361078f565b50506002805460ff191660011790555050565b6005805461036d906105cc565b80601f0160208091040260200160405190810160405280929190818152602001828054610399906105cc565b80156103e45780601f106103bb576101008083540402835291602001916103e4565b820191905f5260205f20905b8154815290600101906020018083116103c757829003601f168201915b505050505081565b6001805461036d906105cc565b610321610275565b60605f5f856001600160a01b0316348686604051610420929190610849565b5f6040518083038185875af1925050503d805f811461045a576040519150601f19603f3d011682016040523d82523d5f602084013e61045f565b606091505b50915091508161047157805160208201fd5b95945050505050565b80356001600160a01b0381168114610490575f5ffd5b919050565b5f5f5f604084860312156104a7575f5ffd5b6104b08461047a565b9250602084013567ffffffffffffffff8111156104cb575f5ffd5b8401601f810186136104db575f5ffd5b803567ffffffffffffffff8111156104f1575f5ffd5b866020828401011115610502575f5ffd5b939660209190910195509293505050565b602081525f82518060208401528060208501604085015e5f604082850101526040601f19601f83011684010191505092915050565b5f60208284031215610558575f5ffd5b81358015158114610567575f5ffd5b9392505050565b5f5f5f60608486031215610580575f5ffd5b6105898461047a565b92506105976020850161047a565b9150604084013590509250925092565b808201808211156105c657634e487b7160e01b5f52601160045260245ffd5b92915050565b600181811c908216806105e057607f821691505b6020821081036105fe57634e487b7160e01b5f52602260045260245ffd5b50919050565b5f5f8354610611816105cc565b600182168015610628576001811461063d5761066a565b60ff198316865281151582028601935061066a565b865f5260205f205f5b8381101561066257815488820152600190910190602001610646565b505081860193505b509195945050505050565b634e487b7160e01b5f52604160045260245ffd5b601f82111561032157805f5260205f20601f840160051c810160208510156106ae5750805b601f840160051c820191505b818110156106cd575f81556001016106ba565b5050505050565b815167ffffffffffffffff8111156106ee576106ee610675565b610702816106fc84546105cc565b84610689565b6020601f821160018114610734575f831561071d5750848201515b5f19600385901b1c1916600184901b1784556106cd565b5f84815260208120601f198516915b828110156107635787850151825560209485019460019092019101610743565b508482101561078057868401515f19600387901b60f8161c191681555b50505050600190811b01905550565b67ffffffffffffffff8311156107a7576107a7610675565b6107bb836107b583546105cc565b83610689565b5f601f8411600181146107ec575f85156107d55750838201355b5f19600387901b1c1916600186901b1783556106cd565b5f83815260208120601f198716915b8281101561081b57868501358255602094850194600190920191016107fb565b5086821015610837575f1960f88860031b161c19848701351681555b505060018560011b0183555050505050565b818382375f910190815291905056",
}

// Reenterer is an auto generated Go binding around an Ethereum contract.
type Reenterer struct {
	abi abi.ABI
}

// GetABI returns the ABI associated with this contract binding.
func (c *Reenterer) GetABI() abi.ABI {
	return c.abi
}

// NewReenterer creates a new instance of Reenterer.
func NewReenterer() *Reenterer {
	parsed, err := ReentererMetaData.ParseABI()
	if err != nil {
		panic(errors.New("invalid ABI: " + err.Error()))
	}
	return &Reenterer{abi: *parsed}
}

// Instance creates a wrapper for a deployed contract instance at the given address.
// Use this to create the instance object passed to abigen v2 library functions Call, Transact, etc.
func (c *Reenterer) Instance(backend bind.ContractBackend, addr common.Address) *bind.BoundContract {
	return bind.NewBoundContract(addr, c.abi, backend, backend, backend)
}

// PackArm is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x3522bfd0.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function arm(address target_, bytes payload_) returns()
func (reenterer *Reenterer) PackArm(target common.Address, payload []byte) []byte {
	enc, err := reenterer.abi.Pack("arm", target, payload)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackArm is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x3522bfd0.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function arm(address target_, bytes payload_) returns()
func (reenterer *Reenterer) TryPackArm(target common.Address, payload []byte) ([]byte, error) {
	return reenterer.abi.Pack("arm", target, payload)
}

// PackArmed is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x2f411093.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function armed() view returns(bool)
func (reenterer *Reenterer) PackArmed() []byte {
	enc, err := reenterer.abi.Pack("armed")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackArmed is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x2f411093.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function armed() view returns(bool)
func (reenterer *Reenterer) TryPackArmed() ([]byte, error) {
	return reenterer.abi.Pack("armed")
}

// UnpackArmed is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x2f411093.
//
// Solidity: function armed() view returns(bool)
func (reenterer *Reenterer) UnpackArmed(data []byte) (bool, error) {
	out, err := reenterer.abi.Unpack("armed", data)
	if err != nil {
		return *new(bool), err
	}
	out0 := *abi.ConvertType(out[0], new(bool)).(*bool)
	return out0, nil
}

// PackAttempts is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x5754a042.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function attempts() view returns(uint256)
func (reenterer *Reenterer) PackAttempts() []byte {
	enc, err := reenterer.abi.Pack("attempts")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackAttempts is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x5754a042.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function attempts() view returns(uint256)
func (reenterer *Reenterer) TryPackAttempts() ([]byte, error) {
	return reenterer.abi.Pack("attempts")
}

// UnpackAttempts is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x5754a042.
//
// Solidity: function attempts() view returns(uint256)
func (reenterer *Reenterer) UnpackAttempts(data []byte) (*big.Int, error) {
	out, err := reenterer.abi.Unpack("attempts", data)
	if err != nil {
		return new(big.Int), err
	}
	out0 := abi.ConvertType(out[0], new(big.Int)).(*big.Int)
	return out0, nil
}

// PackExec is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xbe6002c2.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function exec(address to, bytes data) payable returns(bytes)
func (reenterer *Reenterer) PackExec(to common.Address, data []byte) []byte {
	enc, err := reenterer.abi.Pack("exec", to, data)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackExec is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xbe6002c2.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function exec(address to, bytes data) payable returns(bytes)
func (reenterer *Reenterer) TryPackExec(to common.Address, data []byte) ([]byte, error) {
	return reenterer.abi.Pack("exec", to, data)
}

// UnpackExec is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xbe6002c2.
//
// Solidity: function exec(address to, bytes data) payable returns(bytes)
func (reenterer *Reenterer) UnpackExec(data []byte) ([]byte, error) {
	out, err := reenterer.abi.Unpack("exec", data)
	if err != nil {
		return *new([]byte), err
	}
	out0 := *abi.ConvertType(out[0], new([]byte)).(*[]byte)
	return out0, nil
}

// PackLastOk is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x8d05197c.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function lastOk() view returns(bool)
func (reenterer *Reenterer) PackLastOk() []byte {
	enc, err := reenterer.abi.Pack("lastOk")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackLastOk is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x8d05197c.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function lastOk() view returns(bool)
func (reenterer *Reenterer) TryPackLastOk() ([]byte, error) {
	return reenterer.abi.Pack("lastOk")
}

// UnpackLastOk is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x8d05197c.
//
// Solidity: function lastOk() view returns(bool)
func (reenterer *Reenterer) UnpackLastOk(data []byte) (bool, error) {
	out, err := reenterer.abi.Unpack("lastOk", data)
	if err != nil {
		return *new(bool), err
	}
	out0 := *abi.ConvertType(out[0], new(bool)).(*bool)
	return out0, nil
}

// PackLastReturn is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x3e9717a8.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function lastReturn() view returns(bytes)
func (reenterer *Reenterer) PackLastReturn() []byte {
	enc, err := reenterer.abi.Pack("lastReturn")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackLastReturn is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x3e9717a8.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function lastReturn() view returns(bytes)
func (reenterer *Reenterer) TryPackLastReturn() ([]byte, error) {
	return reenterer.abi.Pack("lastReturn")
}

// UnpackLastReturn is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x3e9717a8.
//
// Solidity: function lastReturn() view returns(bytes)
func (reenterer *Reenterer) UnpackLastReturn(data []byte) ([]byte, error) {
	out, err := reenterer.abi.Unpack("lastReturn", data)
	if err != nil {
		return *new([]byte), err
	}
	out0 := *abi.ConvertType(out[0], new([]byte)).(*[]byte)
	return out0, nil
}

// PackPayload is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xa878f858.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function payload() view returns(bytes)
func (reenterer *Reenterer) PackPayload() []byte {
	enc, err := reenterer.abi.Pack("payload")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackPayload is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xa878f858.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function payload() view returns(bytes)
func (reenterer *Reenterer) TryPackPayload() ([]byte, error) {
	return reenterer.abi.Pack("payload")
}

// UnpackPayload is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xa878f858.
//
// Solidity: function payload() view returns(bytes)
func (reenterer *Reenterer) UnpackPayload(data []byte) ([]byte, error) {
	out, err := reenterer.abi.Unpack("payload", data)
	if err != nil {
		return *new([]byte), err
	}
	out0 := *abi.ConvertType(out[0], new([]byte)).(*[]byte)
	return out0, nil
}

// PackRefuseNative is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x3609055b.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function refuseNative() view returns(bool)
func (reenterer *Reenterer) PackRefuseNative() []byte {
	enc, err := reenterer.abi.Pack("refuseNative")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackRefuseNative is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x3609055b.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function refuseNative() view returns(bool)
func (reenterer *Reenterer) TryPackRefuseNative() ([]byte, error) {
	return reenterer.abi.Pack("refuseNative")
}

// UnpackRefuseNative is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x3609055b.
//
// Solidity: function refuseNative() view returns(bool)
func (reenterer *Reenterer) UnpackRefuseNative(data []byte) (bool, error) {
	out, err := reenterer.abi.Unpack("refuseNative", data)
	if err != nil {
		return *new(bool), err
	}
	out0 := *abi.ConvertType(out[0], new(bool)).(*bool)
	return out0, nil
}

// PackSetRefuseNative is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x507773e9.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function setRefuseNative(bool on) returns()
func (reenterer *Reenterer) PackSetRefuseNative(on bool) []byte {
	enc, err := reenterer.abi.Pack("setRefuseNative", on)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackSetRefuseNative is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x507773e9.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function setRefuseNative(bool on) returns()
func (reenterer *Reenterer) TryPackSetRefuseNative(on bool) ([]byte, error) {
	return reenterer.abi.Pack("setRefuseNative", on)
}

// PackTarget is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xd4b83992.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function target() view returns(address)
func (reenterer *Reenterer) PackTarget() []byte {
	enc, err := reenterer.abi.Pack("target")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackTarget is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xd4b83992.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function target() view returns(address)
func (reenterer *Reenterer) TryPackTarget() ([]byte, error) {
	return reenterer.abi.Pack("target")
}

// UnpackTarget is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xd4b83992.
//
// Solidity: function target() view returns(address)
func (reenterer *Reenterer) UnpackTarget(data []byte) (common.Address, error) {
	out, err := reenterer.abi.Unpack("target", data)
	if err != nil {
		return *new(common.Address), err
	}
	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)
	return out0, nil
}

// PackTokenHook is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xb086e373.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function tokenHook(address , address , uint256 ) returns()
func (reenterer *Reenterer) PackTokenHook(arg0 common.Address, arg1 common.Address, arg2 *big.Int) []byte {
	enc, err := reenterer.abi.Pack("tokenHook", arg0, arg1, arg2)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackTokenHook is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xb086e373.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function tokenHook(address , address , uint256 ) returns()
func (reenterer *Reenterer) TryPackTokenHook(arg0 common.Address, arg1 common.Address, arg2 *big.Int) ([]byte, error) {
	return reenterer.abi.Pack("tokenHook", arg0, arg1, arg2)
}
