package client_test

import (
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net/http"

	"github.com/caddy-x402/x402/client"
	"github.com/ethereum/go-ethereum/crypto"
)

// A client that pays at most 0.05 of a 6-decimal stablecoin per request.
func ExampleClient_Do() {
	key, err := crypto.GenerateKey() // load your own key instead
	if err != nil {
		log.Fatal(err)
	}
	c := &client.Client{Key: key, MaxAmount: big.NewInt(50000)}
	req, _ := http.NewRequest(http.MethodGet, "http://localhost:8080/paid/hello", nil)
	res, err := c.Do(req)
	if res != nil {
		defer res.Response.Body.Close()
	}
	var refused *client.PaymentError
	switch {
	case errors.As(err, &refused):
		log.Fatalf("payment refused: %s %s", refused.Code, refused.Message)
	case err != nil:
		log.Fatal(err)
	}
	body, _ := io.ReadAll(res.Response.Body)
	if res.PaymentResponse != nil {
		fmt.Println("settled in", res.PaymentResponse.Transaction)
	}
	fmt.Printf("%s\n", body)
}

// Pre-signing: read the challenge once, then sign many payments for it.
func ExampleClient_Sign() {
	key, _ := crypto.GenerateKey()
	c := &client.Client{Key: key}
	resp, err := http.Get("http://localhost:8080/paid/hello")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	pr, version, err := c.Challenge(resp)
	if err != nil {
		log.Fatal(err)
	}
	r, err := c.Choose(pr)
	if err != nil {
		log.Fatal(err)
	}
	for range 3 {
		name, value, err := c.Sign(r, pr.Resource, version)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(name, len(value) > 0)
	}
}
