package facilitator

import (
	"encoding/base64"
	"testing"
)

// benchPaymentHeader is a v2 exact PAYMENT-SIGNATURE value as our client
// and the official TypeScript client send it (about 1 KiB encoded).
var benchPaymentHeader = base64.StdEncoding.EncodeToString([]byte(`{"x402Version":2,"resource":{"url":"http://127.0.0.1:8080/exact/data","description":"Premium data","mimeType":"application/json"},"accepted":{"scheme":"exact","network":"eip155:84532","amount":"1000","asset":"0x5FbDB2315678afecb367f032d93F642f64180aa3","payTo":"0x000000000000000000000000000000000000B001","maxTimeoutSeconds":60,"extra":{"name":"USD Coin","version":"2"}},"payload":{"authorization":{"from":"0x90F79bf6EB2c4f870365E785982E1f101E93b906","to":"0x000000000000000000000000000000000000B001","value":"1000","validAfter":"1795447845","validBefore":"1795448565","nonce":"0x7c05ada29ad5087e48a206d484e92327ead29b76adef68bcc5960e2e17127f71"},"signature":"0xa2e64c6de095987e451f475bd86b5bba7cec918e7553170be14173f5643ff2834cf757b9e7ed1593ebc0520959662cc31d30665fc0e04261e744e169e730e55c1c"}}`))

// BenchmarkDecodeHeader is the strict base64 + JSON decode of a payment
// header into a PaymentPayload (the scheme payload stays raw).
func BenchmarkDecodeHeader(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchPaymentHeader)))
	for i := 0; i < b.N; i++ {
		var p PaymentPayload
		if err := DecodeHeader(benchPaymentHeader, 0, &p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeSettleResponse is a PAYMENT-RESPONSE value (JSON + base64).
func BenchmarkEncodeSettleResponse(b *testing.B) {
	resp := SettleResponse{Success: true, Payer: "0x90F79bf6EB2c4f870365E785982E1f101E93b906", Network: "eip155:84532",
		Extensions: []byte(`{"settlement":{"status":"queued"}}`)}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := EncodeHeader(resp); err != nil {
			b.Fatal(err)
		}
	}
}
