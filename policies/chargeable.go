package policies

// Chargeable decides from the upstream's status and headers whether a
// response may be charged for. The default charges 2xx only: nobody pays for
// an error, a redirect or a not-modified.
type Chargeable func(status int, header map[string][]string) bool

// Charge2xx is the default Chargeable.
func Charge2xx(status int, _ map[string][]string) bool { return status >= 200 && status < 300 }
