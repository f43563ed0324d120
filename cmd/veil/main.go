// Command veil is Veil's command line: personas, encrypted posts, shares and
// the Stateless OpenPGP interface. See docs/CLI.md.
package main

import (
	"os"

	"github.com/veilsocial/veil/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], cli.OSEnv()))
}
