package devchain

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/caddy-x402/x402/facilitator/contracts"
)

// Where Start puts the escrow contracts: dev account 0 deploys them right
// after TestUSDC, with nonces 1 to 4, so they land at CREATE(0xf39F…2266, n)
// on the dev chain and on a fresh anvil or hardhat node after Deploy and
// DeployEscrow.
var (
	// DevEscrowAddress is AuthCaptureEscrow (nonce 1).
	DevEscrowAddress = common.HexToAddress("0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512")
	// DevTokenStoreImplementationAddress is the TokenStore implementation the
	// escrow's constructor creates: CREATE(escrow, 1).
	DevTokenStoreImplementationAddress = common.HexToAddress("0xCafac3dD18aC6c6e92c921884f9E4176737C052c")
	// DevERC3009CollectorAddress is ERC3009PaymentCollector (nonce 2).
	DevERC3009CollectorAddress = common.HexToAddress("0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0")
	// DevRefundCollectorAddress is OperatorRefundCollector (nonce 3).
	DevRefundCollectorAddress = common.HexToAddress("0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9")
	// DevMulticall3Address is Multicall3Lite (nonce 4), the ERC3009
	// collector's neutral caller for ERC-6492 deployment calls.
	DevMulticall3Address = common.HexToAddress("0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9")
)

// DevEscrowContracts are the escrow contracts of every dev chain.
var DevEscrowContracts = EscrowContracts{
	Escrow:                   DevEscrowAddress,
	TokenStoreImplementation: DevTokenStoreImplementationAddress,
	ERC3009Collector:         DevERC3009CollectorAddress,
	RefundCollector:          DevRefundCollectorAddress,
	Multicall3:               DevMulticall3Address,
}

// CanonicalMulticall3 is Multicall3's address on Base and most public
// chains; pass it as EscrowOptions.Multicall3 where it exists.
var CanonicalMulticall3 = contracts.Multicall3Address

// EscrowContracts are the addresses of one deployment of the escrow.
type EscrowContracts struct {
	// Escrow is the AuthCaptureEscrow.
	Escrow common.Address
	// TokenStoreImplementation is what every operator's TokenStore clones.
	TokenStoreImplementation common.Address
	// ERC3009Collector is the ERC3009PaymentCollector (Payment type) payers
	// sign their ReceiveWithAuthorization to.
	ERC3009Collector common.Address
	// RefundCollector is the OperatorRefundCollector (Refund type).
	RefundCollector common.Address
	// Multicall3 is the ERC3009 collector's neutral caller: the Multicall3Lite
	// deployed alongside, or EscrowOptions.Multicall3.
	Multicall3 common.Address
}

// EscrowOptions tunes SendEscrowDeploys and DeployEscrow.
type EscrowOptions struct {
	// Multicall3 is an existing Multicall3 for the ERC3009 collector
	// (CanonicalMulticall3 on public chains). Zero: deploy a Multicall3Lite
	// as the fourth transaction.
	Multicall3 common.Address
}

// SendEscrowDeploys sends the escrow deployments from deployer with
// consecutive nonces, without waiting for them to be mined: the
// AuthCaptureEscrow (which creates its TokenStore implementation), the
// ERC3009PaymentCollector, the OperatorRefundCollector and, unless
// opts.Multicall3 is set, a Multicall3Lite. The returned addresses are
// where the transactions, once mined, put the contracts:
// CREATE(deployer, nonce … nonce+3) with nonce the deployer's pending nonce.
func SendEscrowDeploys(ctx context.Context, b bind.ContractBackend, deployer *ecdsa.PrivateKey, chainID *big.Int, opts EscrowOptions) (EscrowContracts, []*types.Transaction, error) {
	from := crypto.PubkeyToAddress(deployer.PublicKey)
	nonce, err := b.PendingNonceAt(ctx, from)
	if err != nil {
		return EscrowContracts{}, nil, fmt.Errorf("devchain: escrow: reading the deployer's nonce: %w", err)
	}
	var c EscrowContracts
	c.Escrow = crypto.CreateAddress(from, nonce)
	c.TokenStoreImplementation = crypto.CreateAddress(c.Escrow, 1) // the escrow's own first CREATE
	c.ERC3009Collector = crypto.CreateAddress(from, nonce+1)
	c.RefundCollector = crypto.CreateAddress(from, nonce+2)
	c.Multicall3 = opts.Multicall3
	if c.Multicall3 == (common.Address{}) {
		c.Multicall3 = crypto.CreateAddress(from, nonce+3)
	}

	type deployment struct {
		name string
		bin  string
		args []byte
		addr common.Address
	}
	deploys := []deployment{
		{"AuthCaptureEscrow", contracts.AuthCaptureEscrowMetaData.Bin, nil, c.Escrow},
		{"ERC3009PaymentCollector", contracts.ERC3009PaymentCollectorMetaData.Bin,
			contracts.NewERC3009PaymentCollector().PackConstructor(c.Escrow, c.Multicall3), c.ERC3009Collector},
		{"OperatorRefundCollector", contracts.OperatorRefundCollectorMetaData.Bin,
			contracts.NewOperatorRefundCollector().PackConstructor(c.Escrow), c.RefundCollector},
	}
	if opts.Multicall3 == (common.Address{}) {
		deploys = append(deploys, deployment{"Multicall3Lite", contracts.Multicall3LiteMetaData.Bin, nil, c.Multicall3})
	}
	txs := make([]*types.Transaction, 0, len(deploys))
	for i, d := range deploys {
		o := Transactor(ctx, deployer, chainID)
		o.Nonce = new(big.Int).SetUint64(nonce + uint64(i))
		addr, tx, err := bind.DeployContract(o, common.FromHex(d.bin), b, d.args)
		if err != nil {
			return EscrowContracts{}, txs, fmt.Errorf("devchain: deploying %s: %w", d.name, err)
		}
		if addr != d.addr {
			return EscrowContracts{}, txs, fmt.Errorf("devchain: %s goes to %s, expected %s", d.name, addr.Hex(), d.addr.Hex())
		}
		txs = append(txs, tx)
	}
	return c, txs, nil
}

// DeployEscrow deploys the escrow contracts from deployer (see
// SendEscrowDeploys), waits until all are mined and checks that they are
// wired together. It works on any node (the dev chain, anvil, geth), which
// must mine the transactions. On a fresh anvil, after Deploy, dev account 0
// gets the addresses of DevEscrowContracts.
func DeployEscrow(ctx context.Context, b Backend, deployer *ecdsa.PrivateKey, chainID *big.Int, opts EscrowOptions) (EscrowContracts, error) {
	c, txs, err := SendEscrowDeploys(ctx, b, deployer, chainID, opts)
	if err != nil {
		return EscrowContracts{}, err
	}
	if err := waitAll(ctx, b, txs); err != nil {
		return EscrowContracts{}, fmt.Errorf("devchain: deploying the escrow: %w", err)
	}
	if err := CheckEscrow(ctx, b, c); err != nil {
		return EscrowContracts{}, err
	}
	return c, nil
}

// CheckEscrow verifies a deployment: every address holds code, the escrow's
// tokenStoreImplementation is c.TokenStoreImplementation, both collectors
// serve c.Escrow with the right collector type, and the ERC3009 collector
// uses c.Multicall3.
func CheckEscrow(ctx context.Context, b bind.ContractBackend, c EscrowContracts) error {
	for _, a := range []struct {
		name string
		addr common.Address
	}{
		{"AuthCaptureEscrow", c.Escrow}, {"TokenStore implementation", c.TokenStoreImplementation},
		{"ERC3009PaymentCollector", c.ERC3009Collector}, {"OperatorRefundCollector", c.RefundCollector},
		{"Multicall3", c.Multicall3},
	} {
		code, err := b.CodeAt(ctx, a.addr, nil)
		if err != nil {
			return fmt.Errorf("devchain: escrow check: %w", err)
		}
		if len(code) == 0 {
			return fmt.Errorf("devchain: escrow check: no %s at %s", a.name, a.addr.Hex())
		}
	}
	opts := &bind.CallOpts{Context: ctx}
	esc := contracts.NewAuthCaptureEscrow()
	impl, err := bind.Call(esc.Instance(b, c.Escrow), opts, esc.PackTokenStoreImplementation(), esc.UnpackTokenStoreImplementation)
	if err != nil {
		return fmt.Errorf("devchain: escrow check: tokenStoreImplementation: %w", err)
	}
	if impl != c.TokenStoreImplementation {
		return fmt.Errorf("devchain: escrow check: tokenStoreImplementation is %s, expected %s", impl.Hex(), c.TokenStoreImplementation.Hex())
	}
	pay := contracts.NewERC3009PaymentCollector()
	ref := contracts.NewOperatorRefundCollector()
	for _, col := range []struct {
		name      string
		inst      *bind.BoundContract
		kind      uint8
		escrow    []byte
		unpackEsc func([]byte) (common.Address, error)
		typ       []byte
		unpackTyp func([]byte) (uint8, error)
	}{
		{"ERC3009PaymentCollector", pay.Instance(b, c.ERC3009Collector), 0, pay.PackAuthCaptureEscrow(), pay.UnpackAuthCaptureEscrow, pay.PackCollectorType(), pay.UnpackCollectorType},
		{"OperatorRefundCollector", ref.Instance(b, c.RefundCollector), 1, ref.PackAuthCaptureEscrow(), ref.UnpackAuthCaptureEscrow, ref.PackCollectorType(), ref.UnpackCollectorType},
	} {
		e, err := bind.Call(col.inst, opts, col.escrow, col.unpackEsc)
		if err != nil {
			return fmt.Errorf("devchain: escrow check: %s.authCaptureEscrow: %w", col.name, err)
		}
		if e != c.Escrow {
			return fmt.Errorf("devchain: escrow check: %s serves %s, not %s", col.name, e.Hex(), c.Escrow.Hex())
		}
		k, err := bind.Call(col.inst, opts, col.typ, col.unpackTyp)
		if err != nil {
			return fmt.Errorf("devchain: escrow check: %s.collectorType: %w", col.name, err)
		}
		if k != col.kind {
			return fmt.Errorf("devchain: escrow check: %s has collector type %d, expected %d", col.name, k, col.kind)
		}
	}
	mc, err := bind.Call(pay.Instance(b, c.ERC3009Collector), opts, pay.PackMulticall3(), pay.UnpackMulticall3)
	if err != nil {
		return fmt.Errorf("devchain: escrow check: multicall3: %w", err)
	}
	if mc != c.Multicall3 {
		return fmt.Errorf("devchain: escrow check: ERC3009PaymentCollector uses Multicall3 %s, expected %s", mc.Hex(), c.Multicall3.Hex())
	}
	return nil
}
