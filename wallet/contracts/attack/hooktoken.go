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

// HookTokenMetaData contains all meta data concerning the HookToken contract.
var HookTokenMetaData = bind.MetaData{
	ABI: "[{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"address\",\"name\":\"owner\",\"type\":\"address\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"spender\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"value\",\"type\":\"uint256\"}],\"name\":\"Approval\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"address\",\"name\":\"from\",\"type\":\"address\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"to\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"value\",\"type\":\"uint256\"}],\"name\":\"Transfer\",\"type\":\"event\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"name\":\"allowance\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"spender\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"}],\"name\":\"approve\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"name\":\"balanceOf\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"to\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"}],\"name\":\"mint\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"returnFalse\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bool\",\"name\":\"on\",\"type\":\"bool\"}],\"name\":\"setReturnFalse\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"totalSupply\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"to\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"}],\"name\":\"transfer\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"from\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"to\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"}],\"name\":\"transferFrom\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"nonpayable\",\"type\":\"function\"}]",
	ID:  "HookToken",
	Bin: "0x6080604052348015600e575f5ffd5b5061065e8061001c5f395ff3fe608060405234801561000f575f5ffd5b5060043610610090575f3560e01c806340c10f191161006357806340c10f19146100f257806370a0823114610107578063a9059cbb14610126578063d047442814610139578063dd62ed3e1461015a575f5ffd5b8063095ea7b31461009457806318160ddd146100bc57806323b872dd146100d257806329c14766146100e5575b5f5ffd5b6100a76100a2366004610543565b610184565b60405190151581526020015b60405180910390f35b6100c45f5481565b6040519081526020016100b3565b6100a76100e036600461056b565b6101f0565b6003546100a79060ff1681565b610105610100366004610543565b6102b4565b005b6100c46101153660046105a5565b60016020525f908152604090205481565b6100a7610134366004610543565b610339565b6101056101473660046105be565b6003805460ff1916911515919091179055565b6100c46101683660046105dd565b600260209081525f928352604080842090915290825290205481565b335f8181526002602090815260408083206001600160a01b038716808552925280832085905551919290917f8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925906101de9086815260200190565b60405180910390a35060015b92915050565b6003545f9060ff161561020457505f6102ad565b6001600160a01b0384165f9081526002602090815260408083203384529091529020548211156102675760405162461bcd60e51b8152602060048201526009602482015268616c6c6f77616e636560b81b60448201526064015b60405180910390fd5b6001600160a01b0384165f90815260026020908152604080832033845290915281208054849290610299908490610622565b909155506102aa9050848484610341565b90505b9392505050565b805f5f8282546102c49190610635565b90915550506001600160a01b0382165f90815260016020526040812080548392906102f0908490610635565b90915550506040518181526001600160a01b038316905f907fddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef9060200160405180910390a35050565b5f6102ad3384845b6003545f9060ff161561035557505f6102ad565b6001600160a01b0384165f908152600160205260409020548211156103a65760405162461bcd60e51b815260206004820152600760248201526662616c616e636560c81b604482015260640161025e565b6001600160a01b0384165f90815260016020526040812080548492906103cd908490610622565b90915550506001600160a01b0383165f90815260016020526040812080548492906103f9908490610635565b92505081905550826001600160a01b0316846001600160a01b03167fddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef8460405161044591815260200190565b60405180910390a36104598485858561046f565b6104658385858561046f565b5060019392505050565b6001600160a01b0384163b15610522576040516001600160a01b0384811660248301528381166044830152606482018390525f919086169060840160408051601f198184030181529181526020820180516001600160e01b031663b086e37360e01b179052516104df9190610648565b5f604051808303815f865af19150503d805f8114610518576040519150601f19603f3d011682016040523d82523d5f602084013e61051d565b606091505b505050505b50505050565b80356001600160a01b038116811461053e575f5ffd5b919050565b5f5f60408385031215610554575f5ffd5b61055d83610528565b946020939093013593505050565b5f5f5f6060848603121561057d575f5ffd5b61058684610528565b925061059460208501610528565b929592945050506040919091013590565b5f602082840312156105b5575f5ffd5b6102ad82610528565b5f602082840312156105ce575f5ffd5b813580151581146102ad575f5ffd5b5f5f604083850312156105ee575f5ffd5b6105f783610528565b915061060560208401610528565b90509250929050565b634e487b7160e01b5f52601160045260245ffd5b818103818111156101ea576101ea61060e565b808201808211156101ea576101ea61060e565b5f82518060208501845e5f92019182525091905056",
}

// HookToken is an auto generated Go binding around an Ethereum contract.
type HookToken struct {
	abi abi.ABI
}

// GetABI returns the ABI associated with this contract binding.
func (c *HookToken) GetABI() abi.ABI {
	return c.abi
}

// NewHookToken creates a new instance of HookToken.
func NewHookToken() *HookToken {
	parsed, err := HookTokenMetaData.ParseABI()
	if err != nil {
		panic(errors.New("invalid ABI: " + err.Error()))
	}
	return &HookToken{abi: *parsed}
}

// Instance creates a wrapper for a deployed contract instance at the given address.
// Use this to create the instance object passed to abigen v2 library functions Call, Transact, etc.
func (c *HookToken) Instance(backend bind.ContractBackend, addr common.Address) *bind.BoundContract {
	return bind.NewBoundContract(addr, c.abi, backend, backend, backend)
}

// PackAllowance is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xdd62ed3e.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function allowance(address , address ) view returns(uint256)
func (hookToken *HookToken) PackAllowance(arg0 common.Address, arg1 common.Address) []byte {
	enc, err := hookToken.abi.Pack("allowance", arg0, arg1)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackAllowance is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xdd62ed3e.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function allowance(address , address ) view returns(uint256)
func (hookToken *HookToken) TryPackAllowance(arg0 common.Address, arg1 common.Address) ([]byte, error) {
	return hookToken.abi.Pack("allowance", arg0, arg1)
}

// UnpackAllowance is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xdd62ed3e.
//
// Solidity: function allowance(address , address ) view returns(uint256)
func (hookToken *HookToken) UnpackAllowance(data []byte) (*big.Int, error) {
	out, err := hookToken.abi.Unpack("allowance", data)
	if err != nil {
		return new(big.Int), err
	}
	out0 := abi.ConvertType(out[0], new(big.Int)).(*big.Int)
	return out0, nil
}

// PackApprove is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x095ea7b3.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function approve(address spender, uint256 amount) returns(bool)
func (hookToken *HookToken) PackApprove(spender common.Address, amount *big.Int) []byte {
	enc, err := hookToken.abi.Pack("approve", spender, amount)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackApprove is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x095ea7b3.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function approve(address spender, uint256 amount) returns(bool)
func (hookToken *HookToken) TryPackApprove(spender common.Address, amount *big.Int) ([]byte, error) {
	return hookToken.abi.Pack("approve", spender, amount)
}

// UnpackApprove is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x095ea7b3.
//
// Solidity: function approve(address spender, uint256 amount) returns(bool)
func (hookToken *HookToken) UnpackApprove(data []byte) (bool, error) {
	out, err := hookToken.abi.Unpack("approve", data)
	if err != nil {
		return *new(bool), err
	}
	out0 := *abi.ConvertType(out[0], new(bool)).(*bool)
	return out0, nil
}

// PackBalanceOf is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x70a08231.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function balanceOf(address ) view returns(uint256)
func (hookToken *HookToken) PackBalanceOf(arg0 common.Address) []byte {
	enc, err := hookToken.abi.Pack("balanceOf", arg0)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackBalanceOf is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x70a08231.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function balanceOf(address ) view returns(uint256)
func (hookToken *HookToken) TryPackBalanceOf(arg0 common.Address) ([]byte, error) {
	return hookToken.abi.Pack("balanceOf", arg0)
}

// UnpackBalanceOf is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x70a08231.
//
// Solidity: function balanceOf(address ) view returns(uint256)
func (hookToken *HookToken) UnpackBalanceOf(data []byte) (*big.Int, error) {
	out, err := hookToken.abi.Unpack("balanceOf", data)
	if err != nil {
		return new(big.Int), err
	}
	out0 := abi.ConvertType(out[0], new(big.Int)).(*big.Int)
	return out0, nil
}

// PackMint is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x40c10f19.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function mint(address to, uint256 amount) returns()
func (hookToken *HookToken) PackMint(to common.Address, amount *big.Int) []byte {
	enc, err := hookToken.abi.Pack("mint", to, amount)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackMint is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x40c10f19.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function mint(address to, uint256 amount) returns()
func (hookToken *HookToken) TryPackMint(to common.Address, amount *big.Int) ([]byte, error) {
	return hookToken.abi.Pack("mint", to, amount)
}

// PackReturnFalse is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x29c14766.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function returnFalse() view returns(bool)
func (hookToken *HookToken) PackReturnFalse() []byte {
	enc, err := hookToken.abi.Pack("returnFalse")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackReturnFalse is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x29c14766.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function returnFalse() view returns(bool)
func (hookToken *HookToken) TryPackReturnFalse() ([]byte, error) {
	return hookToken.abi.Pack("returnFalse")
}

// UnpackReturnFalse is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x29c14766.
//
// Solidity: function returnFalse() view returns(bool)
func (hookToken *HookToken) UnpackReturnFalse(data []byte) (bool, error) {
	out, err := hookToken.abi.Unpack("returnFalse", data)
	if err != nil {
		return *new(bool), err
	}
	out0 := *abi.ConvertType(out[0], new(bool)).(*bool)
	return out0, nil
}

// PackSetReturnFalse is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xd0474428.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function setReturnFalse(bool on) returns()
func (hookToken *HookToken) PackSetReturnFalse(on bool) []byte {
	enc, err := hookToken.abi.Pack("setReturnFalse", on)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackSetReturnFalse is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xd0474428.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function setReturnFalse(bool on) returns()
func (hookToken *HookToken) TryPackSetReturnFalse(on bool) ([]byte, error) {
	return hookToken.abi.Pack("setReturnFalse", on)
}

// PackTotalSupply is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x18160ddd.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function totalSupply() view returns(uint256)
func (hookToken *HookToken) PackTotalSupply() []byte {
	enc, err := hookToken.abi.Pack("totalSupply")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackTotalSupply is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x18160ddd.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function totalSupply() view returns(uint256)
func (hookToken *HookToken) TryPackTotalSupply() ([]byte, error) {
	return hookToken.abi.Pack("totalSupply")
}

// UnpackTotalSupply is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x18160ddd.
//
// Solidity: function totalSupply() view returns(uint256)
func (hookToken *HookToken) UnpackTotalSupply(data []byte) (*big.Int, error) {
	out, err := hookToken.abi.Unpack("totalSupply", data)
	if err != nil {
		return new(big.Int), err
	}
	out0 := abi.ConvertType(out[0], new(big.Int)).(*big.Int)
	return out0, nil
}

// PackTransfer is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xa9059cbb.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function transfer(address to, uint256 amount) returns(bool)
func (hookToken *HookToken) PackTransfer(to common.Address, amount *big.Int) []byte {
	enc, err := hookToken.abi.Pack("transfer", to, amount)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackTransfer is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xa9059cbb.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function transfer(address to, uint256 amount) returns(bool)
func (hookToken *HookToken) TryPackTransfer(to common.Address, amount *big.Int) ([]byte, error) {
	return hookToken.abi.Pack("transfer", to, amount)
}

// UnpackTransfer is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xa9059cbb.
//
// Solidity: function transfer(address to, uint256 amount) returns(bool)
func (hookToken *HookToken) UnpackTransfer(data []byte) (bool, error) {
	out, err := hookToken.abi.Unpack("transfer", data)
	if err != nil {
		return *new(bool), err
	}
	out0 := *abi.ConvertType(out[0], new(bool)).(*bool)
	return out0, nil
}

// PackTransferFrom is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x23b872dd.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function transferFrom(address from, address to, uint256 amount) returns(bool)
func (hookToken *HookToken) PackTransferFrom(from common.Address, to common.Address, amount *big.Int) []byte {
	enc, err := hookToken.abi.Pack("transferFrom", from, to, amount)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackTransferFrom is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x23b872dd.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function transferFrom(address from, address to, uint256 amount) returns(bool)
func (hookToken *HookToken) TryPackTransferFrom(from common.Address, to common.Address, amount *big.Int) ([]byte, error) {
	return hookToken.abi.Pack("transferFrom", from, to, amount)
}

// UnpackTransferFrom is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x23b872dd.
//
// Solidity: function transferFrom(address from, address to, uint256 amount) returns(bool)
func (hookToken *HookToken) UnpackTransferFrom(data []byte) (bool, error) {
	out, err := hookToken.abi.Unpack("transferFrom", data)
	if err != nil {
		return *new(bool), err
	}
	out0 := *abi.ConvertType(out[0], new(bool)).(*bool)
	return out0, nil
}

// HookTokenApproval represents a Approval event raised by the HookToken contract.
type HookTokenApproval struct {
	Owner   common.Address
	Spender common.Address
	Value   *big.Int
	Raw     *types.Log // Blockchain specific contextual infos
}

const HookTokenApprovalEventName = "Approval"

// ContractEventName returns the user-defined event name.
func (HookTokenApproval) ContractEventName() string {
	return HookTokenApprovalEventName
}

// UnpackApprovalEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event Approval(address indexed owner, address indexed spender, uint256 value)
func (hookToken *HookToken) UnpackApprovalEvent(log *types.Log) (*HookTokenApproval, error) {
	event := "Approval"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != hookToken.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(HookTokenApproval)
	if len(log.Data) > 0 {
		if err := hookToken.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range hookToken.abi.Events[event].Inputs {
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

// HookTokenTransfer represents a Transfer event raised by the HookToken contract.
type HookTokenTransfer struct {
	From  common.Address
	To    common.Address
	Value *big.Int
	Raw   *types.Log // Blockchain specific contextual infos
}

const HookTokenTransferEventName = "Transfer"

// ContractEventName returns the user-defined event name.
func (HookTokenTransfer) ContractEventName() string {
	return HookTokenTransferEventName
}

// UnpackTransferEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event Transfer(address indexed from, address indexed to, uint256 value)
func (hookToken *HookToken) UnpackTransferEvent(log *types.Log) (*HookTokenTransfer, error) {
	event := "Transfer"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != hookToken.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(HookTokenTransfer)
	if len(log.Data) > 0 {
		if err := hookToken.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range hookToken.abi.Events[event].Inputs {
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
