package cli

import (
	"errors"
	"fmt"
	"os"

	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"

	"github.com/veilsocial/veil/wasmclient/persona"
)

// recipients resolves --to values: a file of certificates, a contact, or
// one of the person's own personas.
func recipients(st *persona.Store, queries []string) ([]*openpgp.Entity, error) {
	var out []*openpgp.Entity
	for _, q := range queries {
		if data, err := os.ReadFile(q); err == nil {
			el, err := persona.ReadKeys(data)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", q, err)
			}
			for _, e := range el {
				pub, err := persona.PublicOnly(e)
				if err != nil {
					return nil, err
				}
				out = append(out, pub)
			}
			continue
		}
		c, err := st.Contact(q)
		if err == nil {
			out = append(out, c.Key)
			continue
		}
		if !errors.Is(err, persona.ErrNotFound) {
			return nil, err
		}
		p, perr := st.Persona(q)
		if perr != nil {
			return nil, fmt.Errorf("recipient %q: no contact, persona or key file by that name", q)
		}
		pub, err := persona.PublicOnly(p.Entity())
		if err != nil {
			return nil, err
		}
		out = append(out, pub)
	}
	return out, nil
}

// author picks the persona to write as: the one named, or the only one.
func author(st *persona.Store, query string) (*persona.Persona, error) {
	if query != "" {
		return st.Persona(query)
	}
	ps, err := st.Personas()
	if err != nil {
		return nil, err
	}
	switch len(ps) {
	case 0:
		return nil, errors.New("no persona yet: veil persona new --name NAME --email EMAIL")
	case 1:
		return ps[0], nil
	}
	return nil, usagef("several personas: choose one with --as")
}

// keyring returns every persona (unlocked when the passphrase fits) and
// every contact: what a message is decrypted and verified with. With only,
// other personas take part with their public keys only.
func keyring(env Env, st *persona.Store, passFile, only string) (openpgp.EntityList, error) {
	ps, err := st.Personas()
	if err != nil {
		return nil, err
	}
	pass, err := passphrase(env, passFile, "VEIL_PASSPHRASE")
	if err != nil {
		return nil, err
	}
	var el openpgp.EntityList
	if only != "" {
		me, err := st.Persona(only)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			if p.Fingerprint() != me.Fingerprint() {
				pub, err := persona.PublicOnly(p.Entity())
				if err != nil {
					return nil, err
				}
				el = append(el, pub)
			}
		}
		ps = []*persona.Persona{me}
	}
	for _, p := range ps {
		if p.Locked() && pass != nil {
			_ = p.Unlock(pass) // personas with another passphrase stay locked
		}
		el = append(el, p.Entity())
	}
	cs, err := st.Contacts()
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		el = append(el, c.Key)
	}
	return el, nil
}

// shareParties opens the key store and resolves who takes part in a share:
// the keyring that can open the post and the new recipients.
func shareParties(env Env, sf storeFlags, to []string) (*persona.Store, openpgp.EntityList, []*openpgp.Entity, error) {
	st, err := openStore(env, sf.home)
	if err != nil {
		return nil, nil, nil, err
	}
	kr, err := keyring(env, st, sf.passphraseFile, "")
	if err != nil {
		return nil, nil, nil, err
	}
	rcpts, err := recipients(st, to)
	if err != nil {
		return nil, nil, nil, err
	}
	return st, kr, rcpts, nil
}
