package persona

import (
	"bytes"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/armor"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/ProtonMail/go-crypto/openpgp/s2k"
	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"

	"github.com/veilsocial/veil/wasmclient/pgppacket"
)

// BackupFormat names the backup document inside the encrypted file.
const BackupFormat = "veil-backup"

// maxBackup bounds what Restore reads, so a hostile file cannot exhaust memory.
const maxBackup = 64 << 20

// ErrBadBackup is returned for a backup file that cannot be restored.
var ErrBadBackup = errors.New("persona: not a valid Veil backup")

// backupDoc is the plaintext of a backup: every persona's key as stored
// (still protected by its own passphrase) and every contact with what is
// known locally about it.
type backupDoc struct {
	Format   string          `json:"format"`
	Version  int             `json:"version"`
	Created  time.Time       `json:"created"`
	Personas []backupPersona `json:"personas"`
	Contacts []backupContact `json:"contacts"`
	Files    []BackupFile    `json:"files,omitempty"`
}

// BackupFile is a file a backup carries for the store's caller besides the
// personas and contacts (the session's wallets and chain settings): the
// store puts it in and hands it back, and never reads or writes it itself.
type BackupFile struct {
	// Name is the file's name in the storage.
	Name string `json:"name"`
	Data []byte `json:"data"`
}

type backupPersona struct {
	Key string `json:"key"`
}

type backupContact struct {
	Key  string      `json:"key"`
	Info ContactInfo `json:"info"`
}

// Backup writes every persona and contact, and files, as one ASCII-armored
// OpenPGP message encrypted with a passphrase. gpg opens it too (gpg -d).
func (s *Store) Backup(w io.Writer, passphrase []byte, files ...BackupFile) error {
	if len(passphrase) == 0 {
		return errors.New("persona: a backup needs a passphrase")
	}
	doc := backupDoc{Format: BackupFormat, Version: 1, Created: time.Now().UTC().Truncate(time.Second), Files: files}
	ps, err := s.Personas()
	if err != nil {
		return err
	}
	for _, p := range ps {
		k, err := p.ArmoredSecretKey()
		if err != nil {
			return err
		}
		doc.Personas = append(doc.Personas, backupPersona{Key: string(k)})
	}
	cs, err := s.Contacts()
	if err != nil {
		return err
	}
	for _, c := range cs {
		k, err := ArmorPublic(c.Key)
		if err != nil {
			return err
		}
		doc.Contacts = append(doc.Contacts, backupContact{Key: string(k), Info: c.ContactInfo})
	}
	plain, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	aw, err := armor.Encode(w, "PGP MESSAGE", map[string]string{"Comment": "Veil backup"})
	if err != nil {
		return err
	}
	config := &packet.Config{
		DefaultCipher: packet.CipherAES256,
		S2KConfig:     &s2k.Config{S2KMode: s2k.IteratedSaltedS2K, Hash: crypto.SHA256, S2KCount: 65011712},
	}
	pw, err := openpgp.SymmetricallyEncrypt(aw, passphrase, &openpgp.FileHints{FileName: "veil-backup.json"}, config)
	if err != nil {
		return fmt.Errorf("persona: failed to encrypt backup: %w", err)
	}
	if _, err := pw.Write(plain); err != nil {
		return err
	}
	if err := pw.Close(); err != nil {
		return err
	}
	return aw.Close()
}

// RestoreReport counts what a restore brought back.
type RestoreReport struct {
	Personas int
	Contacts int
	// Files are the backup's other files, for the caller to write.
	Files []BackupFile
}

// Restore reads a backup and stores every persona and contact in it,
// merging with what is already there; the backup's other files come back
// in the report, unwritten. Nothing is written unless the whole backup
// decrypts, every key in it is valid and check (when not nil) takes every
// file.
func (s *Store) Restore(r io.Reader, passphrase []byte, check func(BackupFile) error) (RestoreReport, error) {
	block, err := armor.Decode(r)
	if err != nil {
		return RestoreReport{}, fmt.Errorf("%w: %v", ErrBadBackup, err)
	}
	tried := false
	prompt := func(keys []openpgp.Key, symmetric bool) ([]byte, error) {
		if tried || !symmetric {
			return nil, ErrBadPassphrase
		}
		tried = true
		return passphrase, nil
	}
	// A hostile file could ask for an S2K that exhausts memory.
	body, err := pgppacket.CheckPasswordPackets(block.Body)
	if err != nil {
		return RestoreReport{}, fmt.Errorf("%w: %v", ErrBadBackup, err)
	}
	md, err := openpgp.ReadMessage(body, nil, prompt, nil)
	if err != nil {
		if errors.Is(err, ErrBadPassphrase) || errors.Is(err, pgperrors.ErrKeyIncorrect) || tried {
			// A wrong passphrase usually fails the key check, but now and
			// then it yields a plausible key that fails later: the two
			// cannot be told apart from a damaged file.
			return RestoreReport{}, fmt.Errorf("%w (or the backup is damaged)", ErrBadPassphrase)
		}
		return RestoreReport{}, fmt.Errorf("%w: %v", ErrBadBackup, err)
	}
	// Read everything before trusting any of it: the integrity check comes
	// at the end of the message.
	plain, err := io.ReadAll(io.LimitReader(md.UnverifiedBody, maxBackup+1))
	if err != nil {
		return RestoreReport{}, fmt.Errorf("%w (or the backup is damaged): %v", ErrBadPassphrase, err)
	}
	if len(plain) > maxBackup {
		return RestoreReport{}, fmt.Errorf("%w: larger than %d bytes", ErrBadBackup, maxBackup)
	}
	var doc backupDoc
	dec := json.NewDecoder(bytes.NewReader(plain))
	if err := dec.Decode(&doc); err != nil || doc.Format != BackupFormat {
		return RestoreReport{}, fmt.Errorf("%w: unexpected content", ErrBadBackup)
	}
	if doc.Version != 1 {
		return RestoreReport{}, fmt.Errorf("%w: version %d is not supported", ErrBadBackup, doc.Version)
	}
	var personas []*Persona
	for i, bp := range doc.Personas {
		el, err := ReadKeys([]byte(bp.Key))
		if err != nil {
			return RestoreReport{}, fmt.Errorf("%w: persona %d: %v", ErrBadBackup, i, err)
		}
		p, err := FromEntity(el[0])
		if err != nil {
			return RestoreReport{}, fmt.Errorf("%w: persona %d: %v", ErrBadBackup, i, err)
		}
		personas = append(personas, p)
	}
	var contacts []*Contact
	for i, bc := range doc.Contacts {
		el, err := ReadKeys([]byte(bc.Key))
		if err != nil {
			return RestoreReport{}, fmt.Errorf("%w: contact %d: %v", ErrBadBackup, i, err)
		}
		contacts = append(contacts, &Contact{Key: el[0], ContactInfo: bc.Info})
	}
	for i, f := range doc.Files {
		if f.Name == "" {
			return RestoreReport{}, fmt.Errorf("%w: file %d has no name", ErrBadBackup, i)
		}
		if check != nil {
			if err := check(f); err != nil {
				return RestoreReport{}, fmt.Errorf("%w: %s: %v", ErrBadBackup, f.Name, err)
			}
		}
	}
	rep := RestoreReport{Files: doc.Files}
	for _, p := range personas {
		if err := s.SavePersona(p); err != nil {
			return rep, err
		}
		rep.Personas++
	}
	for _, c := range contacts {
		if err := s.AddContact(c); err != nil {
			return rep, err
		}
		rep.Contacts++
	}
	return rep, nil
}
