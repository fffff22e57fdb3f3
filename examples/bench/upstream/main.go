// Command upstream is the benchmark's origin server: it answers every
// request with 200 and a small JSON body, as cheaply as net/http allows, so
// that what examples/bench/run measures is the proxy in front of it.
//
//	upstream -listen 127.0.0.1:9000
package main

import (
	"flag"
	"log"
	"net"
	"net/http"
	"strconv"
	"time"
)

var body = []byte(`{"ok":true,"data":"benchmark upstream","n":42}` + "\n")

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "`ADDRESS` to listen on")
	flag.Parse()
	ct, cl := []string{"application/json"}, []string{strconv.Itoa(len(body))}
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hdr := w.Header()
		hdr["Content-Type"] = ct
		hdr["Content-Length"] = cl
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	})
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("upstream listening on %s", ln.Addr())
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 5 * time.Minute}
	log.Fatal(srv.Serve(ln))
}
