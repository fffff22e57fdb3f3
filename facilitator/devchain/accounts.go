package devchain

import (
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha512"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// DevMnemonic is the public test mnemonic that Hardhat, anvil and most wallets'
// dev modes derive their accounts from. Its keys are known to everyone: never
// send anything of value to them.
const DevMnemonic = "test test test test test test test test test test test junk"

// hardened is the BIP-32 offset of hardened child indexes.
const hardened = 1 << 31

// devPath is m/44'/60'/0'/0, the parent of the dev accounts m/44'/60'/0'/0/i.
var devPath = []uint32{44 + hardened, 60 + hardened, 0 + hardened, 0}

// Account is a dev account: its index i in m/44'/60'/0'/0/i, its address and
// its private key. The String and GoString methods leave the key out, so
// printing an Account with fmt never shows it.
type Account struct {
	Index   int
	Address common.Address
	Key     *ecdsa.PrivateKey
}

// String returns "dev account <index> <address>", without the key.
func (a Account) String() string {
	return fmt.Sprintf("dev account %d %s", a.Index, a.Address.Hex())
}

// GoString is String, so %#v does not print the key either.
func (a Account) GoString() string { return a.String() }

// extendedKey is a BIP-32 private node: key and chain code.
type extendedKey struct {
	key   []byte // 32-byte scalar, big-endian
	chain []byte // 32-byte chain code
}

var (
	devParentOnce sync.Once
	devParent     extendedKey
	devParentErr  error
)

// DevAccounts derives the first n accounts of DevMnemonic (m/44'/60'/0'/0/0
// to m/44'/60'/0'/0/(n-1)). Account 0 is
// 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266, the usual dev deployer.
func DevAccounts(n int) ([]Account, error) {
	if n < 0 {
		return nil, fmt.Errorf("devchain: negative account count %d", n)
	}
	devParentOnce.Do(func() {
		devParent, devParentErr = deriveParent(DevMnemonic, devPath)
	})
	if devParentErr != nil {
		return nil, devParentErr
	}
	accounts := make([]Account, n)
	for i := range accounts {
		child, err := devParent.child(uint32(i))
		if err != nil {
			return nil, fmt.Errorf("devchain: deriving account %d: %w", i, err)
		}
		key, err := crypto.ToECDSA(child.key)
		if err != nil {
			return nil, fmt.Errorf("devchain: deriving account %d: %w", i, err)
		}
		accounts[i] = Account{Index: i, Address: crypto.PubkeyToAddress(key.PublicKey), Key: key}
	}
	return accounts, nil
}

// deriveParent turns a mnemonic into its BIP-39 seed (empty passphrase) and
// walks the BIP-32 path from the master node.
func deriveParent(mnemonic string, path []uint32) (extendedKey, error) {
	node, err := masterKey(bip39Seed(mnemonic, ""))
	if err != nil {
		return extendedKey{}, err
	}
	for _, idx := range path {
		if node, err = node.child(idx); err != nil {
			return extendedKey{}, err
		}
	}
	return node, nil
}

// bip39Seed is BIP-39's mnemonic-to-seed: PBKDF2-HMAC-SHA512 with 2048
// rounds, password = mnemonic, salt = "mnemonic" + passphrase, 64 bytes.
// BIP-39 asks for NFKD normalisation first; words are joined by single
// spaces here, and ASCII input (every English-list mnemonic) is already NFKD.
func bip39Seed(mnemonic, passphrase string) []byte {
	words := strings.Join(strings.Fields(mnemonic), " ")
	seed, err := pbkdf2.Key(sha512.New, words, []byte("mnemonic"+passphrase), 2048, 64)
	if err != nil {
		// Only FIPS-140 "only" mode refuses these parameters.
		panic("devchain: pbkdf2: " + err.Error())
	}
	return seed
}

// masterKey is BIP-32's master node: HMAC-SHA512(key "Bitcoin seed", seed).
func masterKey(seed []byte) (extendedKey, error) {
	mac := hmac.New(sha512.New, []byte("Bitcoin seed"))
	mac.Write(seed)
	sum := mac.Sum(nil)
	if !validScalar(new(big.Int).SetBytes(sum[:32])) {
		return extendedKey{}, errors.New("devchain: seed gives an invalid master key")
	}
	return extendedKey{key: sum[:32], chain: sum[32:]}, nil
}

// child is BIP-32's CKDpriv: the private child idx of k (hardened when
// idx >= 2^31).
func (k extendedKey) child(idx uint32) (extendedKey, error) {
	var data []byte
	if idx >= hardened {
		data = append([]byte{0}, k.key...)
	} else {
		priv, err := crypto.ToECDSA(k.key)
		if err != nil {
			return extendedKey{}, err
		}
		data = crypto.CompressPubkey(&priv.PublicKey)
	}
	data = binary.BigEndian.AppendUint32(data, idx)
	mac := hmac.New(sha512.New, k.chain)
	mac.Write(data)
	sum := mac.Sum(nil)

	il := new(big.Int).SetBytes(sum[:32])
	n := crypto.S256().Params().N
	if il.Cmp(n) >= 0 {
		return extendedKey{}, fmt.Errorf("BIP-32 child %d is invalid (IL >= n); use the next index", idx)
	}
	childKey := il.Add(il, new(big.Int).SetBytes(k.key))
	childKey.Mod(childKey, n)
	if !validScalar(childKey) {
		return extendedKey{}, fmt.Errorf("BIP-32 child %d is invalid (zero key); use the next index", idx)
	}
	return extendedKey{key: common.LeftPadBytes(childKey.Bytes(), 32), chain: sum[32:]}, nil
}

// validScalar reports 0 < s < n, the secp256k1 group order.
func validScalar(s *big.Int) bool {
	return s.Sign() > 0 && s.Cmp(crypto.S256().Params().N) < 0
}
