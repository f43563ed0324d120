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

// TipsMetaData contains all meta data concerning the Tips contract.
var TipsMetaData = bind.MetaData{
	ABI: "[{\"inputs\":[{\"internalType\":\"address\",\"name\":\"author\",\"type\":\"address\"}],\"name\":\"NativeTransferFailed\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"Reentrancy\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"token\",\"type\":\"address\"}],\"name\":\"TokenTransferFailed\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"ZeroAmount\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"ZeroAuthor\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"ZeroToken\",\"type\":\"error\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"cidHash\",\"type\":\"bytes32\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"from\",\"type\":\"address\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"author\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"address\",\"name\":\"token\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"},{\"indexed\":false,\"internalType\":\"string\",\"name\":\"cid\",\"type\":\"string\"}],\"name\":\"Tipped\",\"type\":\"event\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"author\",\"type\":\"address\"},{\"internalType\":\"string\",\"name\":\"cid\",\"type\":\"string\"}],\"name\":\"tip\",\"outputs\":[],\"stateMutability\":\"payable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"string\",\"name\":\"cid\",\"type\":\"string\"}],\"name\":\"tipCount\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"token\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"author\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"},{\"internalType\":\"string\",\"name\":\"cid\",\"type\":\"string\"}],\"name\":\"tipToken\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"string\",\"name\":\"cid\",\"type\":\"string\"},{\"internalType\":\"address\",\"name\":\"token\",\"type\":\"address\"}],\"name\":\"totalTipped\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"}]",
	ID:  "Tips",
	Bin: "0x6080604052348015600e575f5ffd5b5061075c8061001c5f395ff3fe60806040526004361061003e575f3560e01c80636218a92414610042578063abfefb0414610073578063b151961114610094578063d660e122146100a7575b5f5ffd5b34801561004d575f5ffd5b5061006161005c366004610572565b6100c6565b60405190815260200160405180910390f35b34801561007e575f5ffd5b5061009261008d3660046105c2565b610119565b005b6100926100a236600461062c565b6101a4565b3480156100b2575f5ffd5b506100616100c136600461067b565b610272565b5f5f5f85856040516100d99291906106ba565b604051809103902081526020019081526020015f205f836001600160a01b03166001600160a01b031681526020019081526020015f205490509392505050565b60ff5f5c161561013c5760405163558a1e0360e11b815260040160405180910390fd5b60015f805c60ff19168217905d506001600160a01b0385166101715760405163ad1991f560e01b815260040160405180910390fd5b61017e84868585856102a5565b6101936001600160a01b0386163386866103bf565b5f60ff19815c16815d505050505050565b60ff5f5c16156101c75760405163558a1e0360e11b815260040160405180910390fd5b60015f805c60ff19168217905d506101e2835f3485856102a5565b5f836001600160a01b0316346040515f6040518083038185875af1925050503d805f811461022b576040519150601f19603f3d011682016040523d82523d5f602084013e610230565b606091505b50509050806102625760405163bf7e35a360e01b81526001600160a01b03851660048201526024015b60405180910390fd5b505f60ff19815c16815d50505050565b5f60015f84846040516102869291906106ba565b604051809103902081526020019081526020015f205490505b92915050565b825f036102c557604051631f2a200560e01b815260040160405180910390fd5b6001600160a01b0385166102ec57604051635b9ade4b60e11b815260040160405180910390fd5b5f82826040516102fd9291906106ba565b60408051918290039091205f81815260208181528382206001600160a01b038a16835290529182208054919350869290916103399084906106c9565b90915550505f818152600160208190526040822080549192909161035e9084906106c9565b92505081905550856001600160a01b0316336001600160a01b0316827fd433043ca4ebc8e22a2c22a955eff9800c801d322ba760c3b24bc80a4efe58b1888888886040516103af94939291906106e8565b60405180910390a4505050505050565b6040516001600160a01b038085166024830152831660448201526064810182905261041890859060840160408051601f198184030181529190526020810180516001600160e01b03166323b872dd60e01b17905261041e565b50505050565b5f5f836001600160a01b031683604051610438919061072f565b5f604051808303815f865af19150503d805f8114610471576040519150601f19603f3d011682016040523d82523d5f602084013e610476565b606091505b509150915081158061049057506001600160a01b0384163b155b156104b957604051632b596cb760e01b81526001600160a01b0385166004820152602401610259565b8051158015906104e95750805160201415806104e95750808060200190518101906104e49190610745565b600114155b1561041857604051632b596cb760e01b81526001600160a01b0385166004820152602401610259565b5f5f83601f840112610522575f5ffd5b50813567ffffffffffffffff811115610539575f5ffd5b602083019150836020828501011115610550575f5ffd5b9250929050565b80356001600160a01b038116811461056d575f5ffd5b919050565b5f5f5f60408486031215610584575f5ffd5b833567ffffffffffffffff81111561059a575f5ffd5b6105a686828701610512565b90945092506105b9905060208501610557565b90509250925092565b5f5f5f5f5f608086880312156105d6575f5ffd5b6105df86610557565b94506105ed60208701610557565b935060408601359250606086013567ffffffffffffffff81111561060f575f5ffd5b61061b88828901610512565b969995985093965092949392505050565b5f5f5f6040848603121561063e575f5ffd5b61064784610557565b9250602084013567ffffffffffffffff811115610662575f5ffd5b61066e86828701610512565b9497909650939450505050565b5f5f6020838503121561068c575f5ffd5b823567ffffffffffffffff8111156106a2575f5ffd5b6106ae85828601610512565b90969095509350505050565b818382375f9101908152919050565b8082018082111561029f57634e487b7160e01b5f52601160045260245ffd5b6001600160a01b0385168152602081018490526060604082018190528101829052818360808301375f818301608090810191909152601f909201601f191601019392505050565b5f82518060208501845e5f920191825250919050565b5f60208284031215610755575f5ffd5b505191905056",
}

// Tips is an auto generated Go binding around an Ethereum contract.
type Tips struct {
	abi abi.ABI
}

// GetABI returns the ABI associated with this contract binding.
func (c *Tips) GetABI() abi.ABI {
	return c.abi
}

// NewTips creates a new instance of Tips.
func NewTips() *Tips {
	parsed, err := TipsMetaData.ParseABI()
	if err != nil {
		panic(errors.New("invalid ABI: " + err.Error()))
	}
	return &Tips{abi: *parsed}
}

// Instance creates a wrapper for a deployed contract instance at the given address.
// Use this to create the instance object passed to abigen v2 library functions Call, Transact, etc.
func (c *Tips) Instance(backend bind.ContractBackend, addr common.Address) *bind.BoundContract {
	return bind.NewBoundContract(addr, c.abi, backend, backend, backend)
}

// PackTip is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xb1519611.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function tip(address author, string cid) payable returns()
func (tips *Tips) PackTip(author common.Address, cid string) []byte {
	enc, err := tips.abi.Pack("tip", author, cid)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackTip is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xb1519611.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function tip(address author, string cid) payable returns()
func (tips *Tips) TryPackTip(author common.Address, cid string) ([]byte, error) {
	return tips.abi.Pack("tip", author, cid)
}

// PackTipCount is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xd660e122.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function tipCount(string cid) view returns(uint256)
func (tips *Tips) PackTipCount(cid string) []byte {
	enc, err := tips.abi.Pack("tipCount", cid)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackTipCount is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xd660e122.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function tipCount(string cid) view returns(uint256)
func (tips *Tips) TryPackTipCount(cid string) ([]byte, error) {
	return tips.abi.Pack("tipCount", cid)
}

// UnpackTipCount is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xd660e122.
//
// Solidity: function tipCount(string cid) view returns(uint256)
func (tips *Tips) UnpackTipCount(data []byte) (*big.Int, error) {
	out, err := tips.abi.Unpack("tipCount", data)
	if err != nil {
		return new(big.Int), err
	}
	out0 := abi.ConvertType(out[0], new(big.Int)).(*big.Int)
	return out0, nil
}

// PackTipToken is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xabfefb04.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function tipToken(address token, address author, uint256 amount, string cid) returns()
func (tips *Tips) PackTipToken(token common.Address, author common.Address, amount *big.Int, cid string) []byte {
	enc, err := tips.abi.Pack("tipToken", token, author, amount, cid)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackTipToken is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xabfefb04.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function tipToken(address token, address author, uint256 amount, string cid) returns()
func (tips *Tips) TryPackTipToken(token common.Address, author common.Address, amount *big.Int, cid string) ([]byte, error) {
	return tips.abi.Pack("tipToken", token, author, amount, cid)
}

// PackTotalTipped is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x6218a924.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function totalTipped(string cid, address token) view returns(uint256)
func (tips *Tips) PackTotalTipped(cid string, token common.Address) []byte {
	enc, err := tips.abi.Pack("totalTipped", cid, token)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackTotalTipped is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x6218a924.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function totalTipped(string cid, address token) view returns(uint256)
func (tips *Tips) TryPackTotalTipped(cid string, token common.Address) ([]byte, error) {
	return tips.abi.Pack("totalTipped", cid, token)
}

// UnpackTotalTipped is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x6218a924.
//
// Solidity: function totalTipped(string cid, address token) view returns(uint256)
func (tips *Tips) UnpackTotalTipped(data []byte) (*big.Int, error) {
	out, err := tips.abi.Unpack("totalTipped", data)
	if err != nil {
		return new(big.Int), err
	}
	out0 := abi.ConvertType(out[0], new(big.Int)).(*big.Int)
	return out0, nil
}

// TipsTipped represents a Tipped event raised by the Tips contract.
type TipsTipped struct {
	CidHash [32]byte
	From    common.Address
	Author  common.Address
	Token   common.Address
	Amount  *big.Int
	Cid     string
	Raw     *types.Log // Blockchain specific contextual infos
}

const TipsTippedEventName = "Tipped"

// ContractEventName returns the user-defined event name.
func (TipsTipped) ContractEventName() string {
	return TipsTippedEventName
}

// UnpackTippedEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event Tipped(bytes32 indexed cidHash, address indexed from, address indexed author, address token, uint256 amount, string cid)
func (tips *Tips) UnpackTippedEvent(log *types.Log) (*TipsTipped, error) {
	event := "Tipped"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != tips.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(TipsTipped)
	if len(log.Data) > 0 {
		if err := tips.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range tips.abi.Events[event].Inputs {
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
func (tips *Tips) UnpackError(raw []byte) (any, error) {
	if bytes.Equal(raw[:4], tips.abi.Errors["NativeTransferFailed"].ID.Bytes()[:4]) {
		return tips.UnpackNativeTransferFailedError(raw[4:])
	}
	if bytes.Equal(raw[:4], tips.abi.Errors["Reentrancy"].ID.Bytes()[:4]) {
		return tips.UnpackReentrancyError(raw[4:])
	}
	if bytes.Equal(raw[:4], tips.abi.Errors["TokenTransferFailed"].ID.Bytes()[:4]) {
		return tips.UnpackTokenTransferFailedError(raw[4:])
	}
	if bytes.Equal(raw[:4], tips.abi.Errors["ZeroAmount"].ID.Bytes()[:4]) {
		return tips.UnpackZeroAmountError(raw[4:])
	}
	if bytes.Equal(raw[:4], tips.abi.Errors["ZeroAuthor"].ID.Bytes()[:4]) {
		return tips.UnpackZeroAuthorError(raw[4:])
	}
	if bytes.Equal(raw[:4], tips.abi.Errors["ZeroToken"].ID.Bytes()[:4]) {
		return tips.UnpackZeroTokenError(raw[4:])
	}
	return nil, errors.New("Unknown error")
}

// TipsNativeTransferFailed represents a NativeTransferFailed error raised by the Tips contract.
type TipsNativeTransferFailed struct {
	Author common.Address
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error NativeTransferFailed(address author)
func TipsNativeTransferFailedErrorID() common.Hash {
	return common.HexToHash("0xbf7e35a320f517c5527d73ba505e480dd1f1e6ad8dde5d25a28a34d2edde2255")
}

// UnpackNativeTransferFailedError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error NativeTransferFailed(address author)
func (tips *Tips) UnpackNativeTransferFailedError(raw []byte) (*TipsNativeTransferFailed, error) {
	out := new(TipsNativeTransferFailed)
	if err := tips.abi.UnpackIntoInterface(out, "NativeTransferFailed", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// TipsReentrancy represents a Reentrancy error raised by the Tips contract.
type TipsReentrancy struct {
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error Reentrancy()
func TipsReentrancyErrorID() common.Hash {
	return common.HexToHash("0xab143c06c9772d69bbbc9f2fe74acd02f810e93b099f3d1dac8448ac9ae35991")
}

// UnpackReentrancyError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error Reentrancy()
func (tips *Tips) UnpackReentrancyError(raw []byte) (*TipsReentrancy, error) {
	out := new(TipsReentrancy)
	if err := tips.abi.UnpackIntoInterface(out, "Reentrancy", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// TipsTokenTransferFailed represents a TokenTransferFailed error raised by the Tips contract.
type TipsTokenTransferFailed struct {
	Token common.Address
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error TokenTransferFailed(address token)
func TipsTokenTransferFailedErrorID() common.Hash {
	return common.HexToHash("0x2b596cb7e9804a5202312682f04514d7f31332b7e5ffeaad4ba2ee9969d1d7d0")
}

// UnpackTokenTransferFailedError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error TokenTransferFailed(address token)
func (tips *Tips) UnpackTokenTransferFailedError(raw []byte) (*TipsTokenTransferFailed, error) {
	out := new(TipsTokenTransferFailed)
	if err := tips.abi.UnpackIntoInterface(out, "TokenTransferFailed", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// TipsZeroAmount represents a ZeroAmount error raised by the Tips contract.
type TipsZeroAmount struct {
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error ZeroAmount()
func TipsZeroAmountErrorID() common.Hash {
	return common.HexToHash("0x1f2a2005cb66a8e145327e8814e243a0996aec9bfe1e15a495778b1236dbd485")
}

// UnpackZeroAmountError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error ZeroAmount()
func (tips *Tips) UnpackZeroAmountError(raw []byte) (*TipsZeroAmount, error) {
	out := new(TipsZeroAmount)
	if err := tips.abi.UnpackIntoInterface(out, "ZeroAmount", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// TipsZeroAuthor represents a ZeroAuthor error raised by the Tips contract.
type TipsZeroAuthor struct {
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error ZeroAuthor()
func TipsZeroAuthorErrorID() common.Hash {
	return common.HexToHash("0xb735bc9611f1719bba4672b3736d92c6fd9d9653507c7b248e08e6585878294a")
}

// UnpackZeroAuthorError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error ZeroAuthor()
func (tips *Tips) UnpackZeroAuthorError(raw []byte) (*TipsZeroAuthor, error) {
	out := new(TipsZeroAuthor)
	if err := tips.abi.UnpackIntoInterface(out, "ZeroAuthor", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// TipsZeroToken represents a ZeroToken error raised by the Tips contract.
type TipsZeroToken struct {
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error ZeroToken()
func TipsZeroTokenErrorID() common.Hash {
	return common.HexToHash("0xad1991f5b668db6ba8bd803a982b422e706e04bb48af3e23f18a7ddfa8e56f4d")
}

// UnpackZeroTokenError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error ZeroToken()
func (tips *Tips) UnpackZeroTokenError(raw []byte) (*TipsZeroToken, error) {
	out := new(TipsZeroToken)
	if err := tips.abi.UnpackIntoInterface(out, "ZeroToken", raw); err != nil {
		return nil, err
	}
	return out, nil
}
