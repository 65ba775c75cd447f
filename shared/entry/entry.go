// Package entry starts one function binary on AWS Lambda, on Function Compute (go1) or on the command line.
package entry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"

	"github.com/aliyun/fc-runtime-go-sdk/fc"
	"github.com/aws/aws-lambda-go/lambda"
)

// MaxEvent is the largest event the command line reads: 1 MiB.
const MaxEvent = 1 << 20

// The environment variables that select the platform.
const (
	EnvLambdaRuntimeAPI = "AWS_LAMBDA_RUNTIME_API"
	EnvFCRuntimeAPI     = "FC_RUNTIME_API"
)

// Exit codes of the command line.
const (
	ExitOK       = 0 // rotated, unchanged or pending
	ExitFailed   = 1 // failed or partial, or an error with no answer
	ExitBadInput = 2 // bad input, bad usage or bad configuration
)

// Answer is what a handler returns; ExitCode tells the command line how to exit
// (0 rotated/unchanged/pending, 1 failed/partial, 2 bad input or configuration).
type Answer interface {
	ExitCode() int
}

// Handler runs one event. A non-nil error makes the platform retry the invocation.
type Handler func(ctx context.Context, event json.RawMessage) (Answer, error)

// Program is one function binary.
type Program struct {
	Name  string // the command name in usage and messages; default: the executable's name
	Usage string // what the program does and what its events are, shown by --help
	// ExitCodes, when set, replaces the general exit-status paragraph of --help with this
	// program's own (notify's answers are not rotate's).
	ExitCodes string
	Handle    Handler
	// Setup, when Handle is nil, builds the handler (typically from the environment). It runs
	// once, at start on a platform and before an invoke on the command line, never for --help.
	// Its error is a configuration error: printed on stderr, exit 2.
	Setup func() (Handler, error)
	// Commands are extra command-line subcommands (never run on a platform): name → function
	// taking the arguments after the name and returning the exit code.
	Commands map[string]Command
}

// Command is an extra command-line subcommand.
type Command struct {
	Usage string // one line for --help, after the name
	Run   func(args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

// setup makes p.Handle ready, or says why it cannot be.
func (p *Program) setup() error {
	if p.Handle != nil {
		return nil
	}
	if p.Setup == nil {
		return errors.New("no handler")
	}
	h, err := p.Setup()
	if err == nil && h == nil {
		err = errors.New("no handler")
	}
	p.Handle = h
	return err
}

// Main starts the program: AWS_LAMBDA_RUNTIME_API set → lambda.Start; FC_RUNTIME_API
// set → fc.Start; neither → the command line:
//
//	NAME invoke --event FILE|-   runs one event, prints the answer as indented JSON on stdout,
//	                             exits with Answer.ExitCode() (an error with no answer: message on stderr, exit 1)
//	NAME --help / -h / help      usage on stdout, exit 0; bad usage: usage on stderr, exit 2
//
// When both variables are set, Lambda wins. Main does not return.
func Main(p Program) {
	if pl := platform(os.Getenv); pl != PlatformCLI {
		if err := p.setup(); err != nil {
			fmt.Fprintln(os.Stderr, prefixed(p.name(), err))
			os.Exit(ExitBadInput)
		}
		if pl == PlatformLambda {
			lambda.Start(p.function())
		}
		fc.Start(p.function())
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, p, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// platform says where Main runs, from the environment.
func platform(getenv func(string) string) string {
	switch {
	case getenv(EnvLambdaRuntimeAPI) != "":
		return PlatformLambda
	case getenv(EnvFCRuntimeAPI) != "":
		return PlatformFC
	}
	return PlatformCLI
}

// function is the one handler given to lambda.Start and fc.Start. Both SDKs
// unmarshal the payload into json.RawMessage (so a payload that is not JSON fails
// before the handler runs, as on the command line) and marshal the dynamic value
// of the returned Answer; a non-nil error is reported as a function error.
func (p Program) function() func(context.Context, json.RawMessage) (Answer, error) {
	return func(ctx context.Context, event json.RawMessage) (Answer, error) {
		return p.Handle(withInvocation(ctx), event)
	}
}

func (p Program) name() string {
	if p.Name != "" {
		return p.Name
	}
	if len(os.Args) > 0 {
		return filepath.Base(os.Args[0])
	}
	return "function"
}

// usage writes the command-line help.
func (p Program) usage(w io.Writer) {
	name := p.name()
	var b strings.Builder
	fmt.Fprintf(&b, "Usage:\n")
	fmt.Fprintf(&b, "  %s invoke --event FILE   run one event through the handler and print the answer as JSON\n", name)
	fmt.Fprintf(&b, "  %s invoke --event -      read the event from standard input\n", name)
	fmt.Fprintf(&b, "  %s invoke --deadline 30s --event FILE\n", name)
	fmt.Fprintf(&b, "                         run with a time limit, as a platform would: the answer comes before it\n")
	for _, cname := range slices.Sorted(maps.Keys(p.Commands)) {
		fmt.Fprintf(&b, "  %s %s %s\n", name, cname, p.Commands[cname].Usage)
	}
	fmt.Fprintf(&b, "  %s --help                show this help\n", name)
	if u := strings.TrimSpace(p.Usage); u != "" {
		fmt.Fprintf(&b, "\n%s\n", u)
	}
	fmt.Fprintf(&b, "\nThe event file holds one JSON event of at most 1 MiB, exactly as the platform would deliver it.\n")
	if e := strings.TrimSpace(p.ExitCodes); e != "" {
		fmt.Fprintf(&b, "%s\n", e)
	} else {
		fmt.Fprintf(&b, "Exit status: 0 rotated, unchanged or pending; 1 failed or partial, or an error;\n")
		fmt.Fprintf(&b, "2 bad input, bad usage or bad configuration.\n")
	}
	fmt.Fprintf(&b, "\nThe same binary is the function on AWS Lambda (provided.al2023, when %s is set)\n", EnvLambdaRuntimeAPI)
	fmt.Fprintf(&b, "and on Alibaba Cloud Function Compute 3.0 (runtime go1, when %s is set).\n", EnvFCRuntimeAPI)
	io.WriteString(w, b.String())
}

// run is the command line: it returns the exit code.
func run(ctx context.Context, p Program, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	name := p.name()
	if len(args) == 0 {
		fmt.Fprintf(stderr, "%s: missing command\n\n", name)
		p.usage(stderr)
		return ExitBadInput
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 {
			fmt.Fprintf(stderr, "%s: unexpected argument %q after %s\n\n", name, args[1], args[0])
			p.usage(stderr)
			return ExitBadInput
		}
		p.usage(stdout)
		return ExitOK
	case "invoke":
		return p.invoke(ctx, args[1:], stdin, stdout, stderr)
	}
	if c, ok := p.Commands[args[0]]; ok {
		return c.Run(args[1:], stdin, stdout, stderr)
	}
	fmt.Fprintf(stderr, "%s: unknown command %q\n\n", name, args[0])
	p.usage(stderr)
	return ExitBadInput
}

// invoke runs `NAME invoke --event FILE|-`.
func (p Program) invoke(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	name := p.name()
	fs := flag.NewFlagSet(name+" invoke", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	file := fs.String("event", "", "the event file, - for standard input")
	limit := fs.Duration("deadline", 0, "the invocation's time limit, as a platform's function timeout (e.g. 30s)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			p.usage(stdout)
			return ExitOK
		}
		fmt.Fprintf(stderr, "%s invoke: %v\n\n", name, err)
		p.usage(stderr)
		return ExitBadInput
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s invoke: unexpected argument %q\n\n", name, fs.Arg(0))
		p.usage(stderr)
		return ExitBadInput
	}
	if *limit < 0 {
		fmt.Fprintf(stderr, "%s invoke: --deadline %s: must be positive\n\n", name, *limit)
		p.usage(stderr)
		return ExitBadInput
	}
	if *file == "" {
		fmt.Fprintf(stderr, "%s invoke: missing --event FILE (- reads standard input)\n\n", name)
		p.usage(stderr)
		return ExitBadInput
	}
	if *limit > 0 {
		// As on a platform: the handler keeps back what it needs to answer before this deadline,
		// counted from here.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *limit)
		defer cancel()
	}
	event, err := readEvent(*file, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "%s invoke: %v\n", name, err)
		return ExitBadInput
	}

	if err := p.setup(); err != nil {
		fmt.Fprintln(stderr, prefixed(name, err))
		return ExitBadInput
	}
	ctx = context.WithValue(ctx, invocationKey{}, &invocation{platform: PlatformCLI, requestID: newID()})
	answer, err := call(ctx, p.Handle, event)
	code := ExitOK
	if !isNil(answer) {
		out, merr := marshalAnswer(answer)
		if merr != nil {
			fmt.Fprintf(stderr, "%s: cannot print the answer: %v\n", name, merr)
			return ExitFailed
		}
		stdout.Write(out)
		code = answer.ExitCode()
	} else if err == nil {
		io.WriteString(stdout, "null\n")
	}
	if err != nil {
		fmt.Fprintln(stderr, prefixed(name, err))
		if code == ExitOK {
			code = ExitFailed
		}
	}
	return code
}

// prefixed is err's message after the program's name, once: an error already starting with
// "name:" (a package prefix that is also the program's name) is not prefixed again.
func prefixed(name string, err error) string {
	msg := err.Error()
	if strings.HasPrefix(msg, name+": ") {
		return msg
	}
	return name + ": " + msg
}

// readEvent reads at most MaxEvent bytes of JSON from file, or from stdin for "-".
func readEvent(file string, stdin io.Reader) (json.RawMessage, error) {
	what := "event file " + file
	r := stdin
	if file == "-" {
		what = "event on standard input"
	} else {
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("cannot read the event: %w", err)
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxEvent+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read the %s: %w", what, err)
	}
	if len(data) > MaxEvent {
		return nil, fmt.Errorf("the %s is larger than 1 MiB", what)
	}
	data = bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))) // a byte-order mark some editors write
	if len(data) == 0 {
		return nil, fmt.Errorf("the %s is empty", what)
	}
	if !json.Valid(data) {
		return nil, fmt.Errorf("the %s is not valid JSON", what)
	}
	return json.RawMessage(data), nil
}

// call runs the handler, turning a panic into an error as the platforms do.
func call(ctx context.Context, h Handler, event json.RawMessage) (answer Answer, err error) {
	defer func() {
		if r := recover(); r != nil {
			answer, err = nil, fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	return h(ctx, event)
}

// marshalAnswer renders the answer as indented JSON, HTML characters unescaped.
func marshalAnswer(a Answer) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(a); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// isNil reports whether an answer is nil, or a nil pointer in an interface.
func isNil(a Answer) bool {
	if a == nil {
		return true
	}
	v := reflect.ValueOf(a)
	switch v.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface, reflect.Func:
		return v.IsNil()
	}
	return false
}
