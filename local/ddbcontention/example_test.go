package ddbcontention_test

import (
	"fmt"
	"log"

	"github.com/livecast/sessions/local/ddbcontention"
	"github.com/livecast/sessions/local/motoserver"
)

// A command such as the bench puts the proxy in front of its emulator and
// points the service at the proxy instead.
func ExampleNew() {
	moto, err := motoserver.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer moto.Stop()
	proxy, err := ddbcontention.New(moto.URL, ddbcontention.Options{}) // DynamoDB-like: 20 ms holds
	if err != nil {
		log.Fatal(err)
	}
	defer proxy.Close()
	// AWS_ENDPOINT_URL_DYNAMODB=proxy.URL() for the service under test, then:
	stats := proxy.Stats()
	fmt.Println(stats.TransactionsCancelled, stats.TransactionConflictSum())
}
