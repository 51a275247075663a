// Package awstest is a local AWS endpoint for tests: the real AWS SDK for
// Go v2 sends its signed requests over HTTP to a Server, which checks each
// one against a script of expected operations and answers with the
// scripted reply. The SDK's serialisation, signing and retries all run;
// only the network end is local.
//
// A Server understands the wire protocols the SDK uses: query (EC2, IAM,
// STS, SNS, Auto Scaling, ELB: form field Action), JSON 1.0/1.1 (SSM,
// CloudTrail, Secrets Manager: header X-Amz-Target) and REST (S3,
// Security Hub, SES v2: method and path). Call.Op names the operation in
// each case, e.g. "DescribeInstances", "StartLogging",
// "PUT /bucket?publicAccessBlock".
package awstest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Call is one request as it arrived.
type Call struct {
	// Op is the operation: the query Action, the part of X-Amz-Target
	// after the last '.' or '_' prefix, or "METHOD /path?query" for REST
	// calls.
	Op     string
	Method string
	Path   string
	Query  url.Values
	// Form is the decoded body of query-protocol calls.
	Form url.Values
	// JSON is the decoded body of JSON-protocol and REST-JSON calls (nil
	// otherwise).
	JSON   map[string]any
	Body   []byte
	Header http.Header
	// Service and Region come from the SigV4 credential scope.
	Service string
	Region  string
}

// Reply is a scripted answer.
type Reply struct {
	Status int // default 200
	Body   string
	Header map[string]string
}

// Expect is one expected call and its reply.
type Expect struct {
	// Op must equal Call.Op.
	Op string
	// Check, when set, inspects the call; it reports problems with t.
	Check func(t testing.TB, c *Call)
	Reply Reply
}

// Server is a scripted local AWS endpoint.
type Server struct {
	URL string
	t   testing.TB
	srv *httptest.Server

	mu      sync.Mutex
	script  []Expect
	calls   []Call
	strict  bool
	handler func(c *Call) (Reply, bool)
}

// New starts a server that expects the script's calls in order and fails
// the test on any other call. It is closed when the test ends, and the
// test fails if part of the script was never called.
func New(t testing.TB, script ...Expect) *Server {
	t.Helper()
	s := &Server{t: t, script: script, strict: true}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	t.Cleanup(func() {
		s.srv.Close()
		s.mu.Lock()
		defer s.mu.Unlock()
		if len(s.script) > 0 {
			var ops []string
			for _, e := range s.script {
				ops = append(ops, e.Op)
			}
			t.Errorf("awstest: expected calls never made: %v", ops)
		}
	})
	return s
}

// Handle sets a fallback for calls outside the script (e.g. a service
// whose calls a test does not care about): when it returns true, its
// reply is used and the call is not checked against the script.
func (s *Server) Handle(h func(c *Call) (Reply, bool)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handler = h
}

// Calls returns the calls received so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Ops returns the operations received so far, in order.
func (s *Server) Ops() []string {
	var out []string
	for _, c := range s.Calls() {
		out = append(out, c.Op)
	}
	return out
}

var credScope = regexp.MustCompile(`Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request`)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c := Call{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Body: body, Header: r.Header.Clone()}
	if m := credScope.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		c.Region, c.Service = m[1], m[2]
	}
	ct := r.Header.Get("Content-Type")
	switch {
	case r.Header.Get("X-Amz-Target") != "":
		tgt := r.Header.Get("X-Amz-Target")
		c.Op = tgt[strings.LastIndexAny(tgt, "._")+1:]
		_ = json.Unmarshal(body, &c.JSON)
	case strings.HasPrefix(ct, "application/x-www-form-urlencoded"):
		c.Form, _ = url.ParseQuery(string(body))
		c.Op = c.Form.Get("Action")
	default:
		c.Op = r.Method + " " + r.URL.Path
		if q := r.URL.RawQuery; q != "" {
			// Keep only the subresource keys (no values with x-id etc.).
			var keys []string
			for k := range r.URL.Query() {
				if k != "x-id" {
					keys = append(keys, k)
				}
			}
			if len(keys) > 0 {
				c.Op += "?" + strings.Join(sortStrings(keys), "&")
			}
		}
		if len(bytes.TrimSpace(body)) > 0 && (strings.Contains(ct, "json") || body[0] == '{') {
			_ = json.Unmarshal(body, &c.JSON)
		}
	}
	s.mu.Lock()
	s.calls = append(s.calls, c)
	var exp *Expect
	if len(s.script) > 0 && s.script[0].Op == c.Op {
		e := s.script[0]
		s.script = s.script[1:]
		exp = &e
	}
	h := s.handler
	s.mu.Unlock()
	var rep Reply
	switch {
	case exp != nil:
		if c.Service == "" {
			s.t.Errorf("awstest: %s: request is not SigV4-signed (Authorization %q)", c.Op, r.Header.Get("Authorization"))
		}
		if exp.Check != nil {
			exp.Check(s.t, &c)
		}
		rep = exp.Reply
	case h != nil:
		var ok bool
		if rep, ok = h(&c); ok {
			break
		}
		fallthrough
	default:
		s.t.Errorf("awstest: unexpected call %s (next expected: %s)\nbody: %s", c.Op, s.next(), truncate(body))
		rep = Reply{Status: 400, Body: `{"__type":"UnexpectedCall","message":"awstest: unexpected call"}`}
	}
	for k, v := range rep.Header {
		w.Header().Set(k, v)
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", guessType(rep.Body))
	}
	if rep.Status == 0 {
		rep.Status = 200
	}
	w.WriteHeader(rep.Status)
	_, _ = io.WriteString(w, rep.Body)
}

func (s *Server) next() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.script) == 0 {
		return "nothing"
	}
	return s.script[0].Op
}

func guessType(body string) string {
	b := strings.TrimSpace(body)
	switch {
	case strings.HasPrefix(b, "<"):
		return "text/xml"
	case strings.HasPrefix(b, "{"), strings.HasPrefix(b, "["):
		return "application/x-amz-json-1.1"
	}
	return "text/plain"
}

func truncate(b []byte) string {
	if len(b) > 500 {
		return string(b[:500]) + "…"
	}
	return string(b)
}

func sortStrings(s []string) []string {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s
}

// Config returns an SDK configuration that sends every service's calls to
// the server, signed with static test credentials, in region. Retries use
// the SDK's standard retryer with its real retry decisions but a 1 ms
// back-off, so throttling tests stay fast.
func (s *Server) Config(region string) aws.Config {
	return aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "token"),
		BaseEndpoint: aws.String(s.URL),
		HTTPClient:   &http.Client{Timeout: 10 * time.Second, Transport: bufferedBodies{http.DefaultTransport}},
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
				o.RateLimiter = noLimit{}
			})
		},
	}
}

// bufferedBodies sends a private copy of each request body. Against a
// local endpoint that answers at once, the SDK can close a request body
// while the transport is still writing it, and the exchange then fails
// with "use of closed network connection" (about 0.5% of calls with
// responses of several KB); a real endpoint answers too slowly for that.
type bufferedBodies struct{ next http.RoundTripper }

func (b bufferedBodies) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return b.next.RoundTrip(r)
	}
	data, err := io.ReadAll(r.Body)
	_ = r.Body.Close()
	if err != nil {
		return nil, err
	}
	c := r.Clone(r.Context())
	c.Body = io.NopCloser(bytes.NewReader(data))
	c.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	return b.next.RoundTrip(c)
}

// noLimit disables the retry token bucket so scripted throttles always
// retry.
type noLimit struct{}

func (noLimit) GetToken(context.Context, uint) (func() error, error) {
	return func() error { return nil }, nil
}
func (noLimit) AddTokens(uint) error { return nil }

// QueryError is an error body for query-protocol services (EC2 style).
func EC2Error(code, msg string) Reply {
	return Reply{Status: 400, Body: fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>r-1</RequestID></Response>`, code, msg)}
}

// QueryError is an error body for the other query-protocol services (IAM,
// STS, SNS, Auto Scaling, ELB).
func QueryError(status int, code, msg string) Reply {
	return Reply{Status: status, Body: fmt.Sprintf(`<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`, code, msg)}
}

// JSONError is an error body for JSON-protocol and REST-JSON services.
func JSONError(status int, code, msg string) Reply {
	return Reply{Status: status, Body: fmt.Sprintf(`{"__type":%q,"message":%q}`, code, msg), Header: map[string]string{"X-Amzn-Errortype": code}}
}

// S3Error is an error body for S3.
func S3Error(status int, code, msg string) Reply {
	return Reply{Status: status, Body: fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><RequestId>r-1</RequestId></Error>`, code, msg)}
}
