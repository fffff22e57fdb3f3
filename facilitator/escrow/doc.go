// Package escrow implements caddy-x402's `escrow` payment scheme: a payer
// signs once to deposit into an AuthCaptureEscrow and spends the deposit
// across a session.
//
// This part of the package is the contract level, shared by the facilitator
// (the escrow operator) and the clients:
//
//   - PaymentInfo, the 12-field tuple that identifies a payment, and its
//     hashes: InnerHash, GetHash (the payment's identity, what the contract's
//     getHash returns) and PayerAgnosticNonce (the ERC-3009 nonce the payer
//     signs), in paymentinfo.go and hash.go;
//   - ReceiveAuthorization and SignDeposit, the ERC-3009
//     ReceiveWithAuthorization a payer signs for the ERC-3009 collector, built
//     the way @agentokratia/x402-escrow builds it (deposit.go);
//   - calldata packers for authorize, charge, capture, void, reclaim and
//     refund, reads of paymentState, getHash and getTokenStore over an
//     evm.Backend, a start-up check of the configured escrow and collectors
//     (Contract.CheckDeployment), and CollectorData, which drops an ERC-6492
//     wrapper once the payer's wallet exists (calls.go);
//   - the contract's custom errors mapped to Go errors and x402-style reason
//     strings (errors.go).
//
// The contracts are our own (facilitator/contracts/src), ABI- and
// behaviour-compatible with the Commerce Payments Protocol's AuthCaptureEscrow
// v1.0 and its ERC3009PaymentCollector, so everything here also works against
// the deployments on Base (escrow 0xBdEA0D1bcC5966192B070Fdf62aB4EF5b4420cff,
// collector 0x0E3dF9510de65469C4518D7843919c0b8C7A7757).
package escrow
