// Command cookieconsent serves a page with a cookie banner that records
// consent per category in a steward consent ledger. It speaks Dutch or
// English after the browser's Accept-Language, places only a strictly
// necessary cookie until the visitor chooses, then one cookie per category
// the visitor allows and none for the others, and asks again when a consent
// expires after twelve months or the cookie notice changes materially. The
// banner is a plain HTML form and works without scripts.
//
//	go run ./examples/cookieconsent                  # http://127.0.0.1:8080
//	go run ./examples/cookieconsent -addr :9000
//	curl -s -b visitor=... http://127.0.0.1:8080/consent   # the recorded choice as JSON
//
// The ledger is in memory: choices last until the program stops.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/smartbooqing/steward/privacy"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *addr); err != nil {
		fmt.Fprintln(os.Stderr, "cookieconsent:", err)
		os.Exit(1)
	}
}

// run serves the site on addr until ctx ends, then lets requests in flight
// finish.
func run(ctx context.Context, addr string) error {
	clock := privacy.SystemClock{}
	ledger, err := newLedger(ctx, clock)
	if err != nil {
		return err
	}
	errlog := log.New(os.Stderr, "", log.LstdFlags)
	srv := &http.Server{
		Handler:           newServer(ledger, clock, errlog),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		ErrorLog:          errlog,
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Printf("cookieconsent: serving on http://%s\n", ln.Addr())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
