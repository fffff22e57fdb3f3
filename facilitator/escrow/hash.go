package escrow

import (
	"encoding/binary"
	"math/big"

	"github.com/ethereum/go-ethereum/common"

	"github.com/caddy-x402/x402/facilitator/evm"
)

// PaymentInfoType is the type string PAYMENT_INFO_TYPEHASH hashes.
const PaymentInfoType = "PaymentInfo(address operator,address payer,address receiver,address token,uint120 maxAmount,uint48 preApprovalExpiry,uint48 authorizationExpiry,uint48 refundExpiry,uint16 minFeeBps,uint16 maxFeeBps,address feeReceiver,uint256 salt)"

// PaymentInfoTypeHash is the contract's PAYMENT_INFO_TYPEHASH,
// 0xae68ac7ce30c86ece8196b61a7c486d8f0061f575037fbd34e7fe4e2820c6591.
var PaymentInfoTypeHash = evm.Keccak256([]byte(PaymentInfoType))

// InnerHash is keccak256(abi.encode(PAYMENT_INFO_TYPEHASH, pi)), the
// chain-independent half of GetHash.
//
// pi should pass Validate. Values outside their Solidity type are encoded as
// the low 256 bits of their two's complement: the result then differs from
// the hash of every valid PaymentInfo except for values of 2^256 or more.
func InnerHash(pi *PaymentInfo) [32]byte {
	var buf [13 * 32]byte
	copy(buf[0:32], PaymentInfoTypeHash[:])
	w := buf[32:]
	putAddress(w[0:32], pi.Operator)
	putAddress(w[32:64], pi.Payer)
	putAddress(w[64:96], pi.Receiver)
	putAddress(w[96:128], pi.Token)
	putBig(w[128:160], pi.MaxAmount)
	binary.BigEndian.PutUint64(w[160+24:192], pi.PreApprovalExpiry)
	binary.BigEndian.PutUint64(w[192+24:224], pi.AuthorizationExpiry)
	binary.BigEndian.PutUint64(w[224+24:256], pi.RefundExpiry)
	binary.BigEndian.PutUint16(w[256+30:288], pi.MinFeeBps)
	binary.BigEndian.PutUint16(w[288+30:320], pi.MaxFeeBps)
	putAddress(w[320:352], pi.FeeReceiver)
	putBig(w[352:384], pi.Salt)
	return evm.Keccak256(buf[:])
}

// GetHash is the payment's identity, what escrow.getHash(pi) returns on the
// chain with ID chainID: keccak256(abi.encode(chainID, escrow, InnerHash(pi))).
// It is not an EIP-712 digest. Session IDs of the escrow scheme are this hash.
func GetHash(chainID uint64, escrow common.Address, pi *PaymentInfo) [32]byte {
	return outerHash(chainID, escrow, InnerHash(pi))
}

// PayerAgnosticNonce is GetHash of pi with the payer set to zero: the nonce
// of the ERC-3009 authorization (and the Permit2 nonce, the spend-permission
// salt) the collectors use. A client can compute it before it knows which
// wallet will pay; the signature binds the payer.
func PayerAgnosticNonce(chainID uint64, escrow common.Address, pi *PaymentInfo) [32]byte {
	anyPayer := *pi // shallow: the big.Int fields are only read
	anyPayer.Payer = common.Address{}
	return GetHash(chainID, escrow, &anyPayer)
}

func outerHash(chainID uint64, escrow common.Address, inner [32]byte) [32]byte {
	var buf [3 * 32]byte
	binary.BigEndian.PutUint64(buf[24:32], chainID)
	putAddress(buf[32:64], escrow)
	copy(buf[64:96], inner[:])
	return evm.Keccak256(buf[:])
}

// eip1167Prefix and eip1167Suffix surround the implementation address in the
// creation code of an EIP-1167 minimal proxy (the code OpenZeppelin's and
// Solady's clone libraries deploy).
var (
	eip1167Prefix = common.FromHex("3d602d80600a3d3981f3363d3d373d3d3d363d73")
	eip1167Suffix = common.FromHex("5af43d82803e903d91602b57fd5bf3")
)

// TokenStoreAddress is where escrow keeps operator's tokens: the CREATE2
// address of an EIP-1167 clone of implementation (the escrow's
// tokenStoreImplementation) deployed by escrow with salt = the operator's
// address left-aligned in 32 bytes. It equals escrow.getTokenStore(operator)
// and needs no RPC.
func TokenStoreAddress(escrow, implementation, operator common.Address) common.Address {
	code := make([]byte, 0, len(eip1167Prefix)+20+len(eip1167Suffix))
	code = append(code, eip1167Prefix...)
	code = append(code, implementation[:]...)
	code = append(code, eip1167Suffix...)
	codeHash := evm.Keccak256(code)
	var salt [32]byte
	copy(salt[:20], operator[:])
	h := evm.Keccak256([]byte{0xff}, escrow[:], salt[:], codeHash[:])
	return common.BytesToAddress(h[12:])
}

func putAddress(dst []byte, a common.Address) { copy(dst[12:32], a[:]) }

// putBig writes x as a 32-byte big-endian word (nil as zero; see InnerHash
// for values out of range).
func putBig(dst []byte, x *big.Int) {
	if x == nil {
		return
	}
	if x.Sign() < 0 || x.BitLen() > 256 {
		x = new(big.Int).And(x, maxUint256)
	}
	x.FillBytes(dst[:32])
}
