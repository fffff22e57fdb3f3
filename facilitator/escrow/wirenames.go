package escrow

import "github.com/caddy-x402/x402/facilitator"

// The escrow payloads' field names, so that a header spelling one of them in
// another letter case (which encoding/json would read as the field and other
// parsers would not) is refused as ambiguous (facilitator.CheckUnambiguous).
func init() {
	facilitator.RegisterWireNames(CreationPayload{}, UsagePayload{})
}
