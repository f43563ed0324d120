package wallet

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/ethereum/go-ethereum/common"
)

// Contracts are the addresses of Veil's contracts on a chain. A zero address
// means the contract is not there; what needs it says so.
type Contracts struct {
	Token    common.Address `json:"token"`
	Tips     common.Address `json:"tips"`
	Registry common.Address `json:"registry"`
}

// DevAccount is one of the dev chain's accounts, private key included.
type DevAccount struct {
	Name       string         `json:"name"`
	Address    common.Address `json:"address"`
	PrivateKey string         `json:"privateKey"`
}

// ChainInfo is the file `veil devchain` writes (docs/CHAIN.md "The dev
// chain"): where the chain is, its contracts and its funded accounts.
type ChainInfo struct {
	ChainID   uint64    `json:"chainId"`
	RPC       string    `json:"rpc"`
	Contracts Contracts `json:"contracts"`
	// DeployBlock is a block no later than the contracts' deployment:
	// scans of their events start there rather than at the genesis.
	DeployBlock uint64       `json:"deployBlock,omitempty"`
	Accounts    []DevAccount `json:"accounts"`
}

// Account returns the dev account with the given name.
func (ci *ChainInfo) Account(name string) (DevAccount, bool) {
	for _, a := range ci.Accounts {
		if a.Name == name {
			return a, true
		}
	}
	return DevAccount{}, false
}

// LoadChainInfo reads a dev chain file.
func LoadChainInfo(path string) (*ChainInfo, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var ci ChainInfo
	if err := json.Unmarshal(data, &ci); err != nil {
		return nil, fmt.Errorf("%s: not a dev chain file: %w", path, err)
	}
	if ci.ChainID == 0 || ci.RPC == "" {
		return nil, fmt.Errorf("%s: not a dev chain file: no chainId or rpc", path)
	}
	return &ci, nil
}

// Save writes the file (0600: it holds private keys), replacing it
// atomically.
func (ci *ChainInfo) Save(path string) error {
	if path == "" {
		return errors.New("wallet: no path for the dev chain file")
	}
	data, err := json.MarshalIndent(ci, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
