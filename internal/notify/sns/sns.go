// Package sns is the "sns" receiver: it publishes each message to an
// Amazon SNS topic, as plain text (the sns.text template) or as the
// notify.Message in JSON, with the severity and account as message
// attributes for subscription filter policies.
package sns

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"golang.org/x/text/unicode/norm"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/notify"
	"github.com/wardenhq/warden/internal/notify/tmpl"
)

// Type is the receiver type name.
const Type = "sns"

// SNS limits.
const (
	maxSubject = 99                  // "less than 100 characters"
	maxMessage = 256 * 1024          // bytes, message and attributes together
	maxBody    = maxMessage - 8*1024 // room for the attributes
	maxGroupID = 128
)

// api is the call this package makes.
type api interface {
	Publish(ctx context.Context, in *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// Receiver publishes to one topic. It is safe for concurrent use.
type Receiver struct {
	name string
	cfg  Config
	aws  func(ctx context.Context) (aws.Config, error)
	tpl  notify.Renderer
	log  *slog.Logger

	mu     sync.Mutex
	client api
}

var (
	_ notify.Receiver   = (*Receiver)(nil)
	_ notify.Idempotent = (*Receiver)(nil)
)

// New builds an SNS receiver from its settings (see Config).
func New(nc notify.Config) (notify.Receiver, error) {
	cfg, err := parseConfig(nc.Settings)
	if err != nil {
		return nil, err
	}
	if nc.AWS == nil {
		return nil, errors.New("no AWS configuration")
	}
	if nc.Templates == nil {
		return nil, errors.New("no templates")
	}
	log := nc.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Receiver{name: nc.Name, cfg: cfg, aws: nc.AWS, tpl: nc.Templates, log: log.With("receiver", nc.Name)}, nil
}

// Name implements notify.Receiver.
func (r *Receiver) Name() string { return r.name }

// Type implements notify.Receiver.
func (r *Receiver) Type() string { return Type }

// Idempotent implements notify.Idempotent: a FIFO topic drops a message
// whose deduplication id it saw in the last five minutes, and the id is
// a hash of the message, so a send retried soon after a crash is not
// delivered twice. Standard topics deliver every publish.
func (r *Receiver) Idempotent() bool { return r.cfg.fifo() }

func (r *Receiver) publisher(ctx context.Context) (api, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.client != nil {
		return r.client, nil
	}
	cfg, err := r.aws(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	region := r.cfg.Region
	r.client = sns.NewFromConfig(cfg, func(o *sns.Options) {
		o.Region = region
		// SNS throttles with codes the SDK does not retry by default.
		o.Retryer = retry.AddWithErrorCodes(o.Retryer, "Throttled", "KMSThrottling")
	})
	return r.client, nil
}

// Send implements notify.Receiver.
func (r *Receiver) Send(ctx context.Context, msg *notify.Message) (notify.Result, error) {
	in, err := r.input(msg)
	if err != nil {
		return notify.Result{}, err
	}
	cl, err := r.publisher(ctx)
	if err != nil {
		return notify.Result{}, err
	}
	out, err := cl.Publish(ctx, in)
	if err != nil {
		return notify.Result{}, classify(fmt.Errorf("publishing to %s: %w", r.cfg.TopicArn, err))
	}
	return notify.Result{Detail: "message id " + aws.ToString(out.MessageId)}, nil
}

// input builds the Publish request.
func (r *Receiver) input(msg *notify.Message) (*sns.PublishInput, error) {
	subject := r.cfg.Subject
	if subject == "" {
		s, err := r.tpl.Render(r.name, Type, "subject", msg)
		if err != nil {
			return nil, notify.Permanent(err)
		}
		subject = s
	}
	var body string
	if r.cfg.Format == FormatJSON {
		b, err := jsonBody(msg)
		if err != nil {
			return nil, notify.Permanent(err)
		}
		body = b
	} else {
		s, err := r.tpl.Render(r.name, Type, "text", msg)
		if err != nil {
			return nil, notify.Permanent(err)
		}
		body = textBody(s)
	}
	in := &sns.PublishInput{
		TopicArn:          aws.String(r.cfg.TopicArn),
		Message:           aws.String(body),
		Subject:           aws.String(Subject(subject)),
		MessageAttributes: attributes(msg),
	}
	if r.cfg.fifo() {
		in.MessageGroupId = aws.String(groupID(msg.Group))
		in.MessageDeduplicationId = aws.String(DedupID(msg))
	}
	return in, nil
}

// Subject makes s a valid SNS subject: printable ASCII on one line (accents
// are dropped, other characters become '?'), at most 99 characters, never
// empty.
func Subject(s string) string {
	s = tmpl.OneLine(s)
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r == '…':
			b.WriteString("...")
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		default:
			b.WriteByte('?')
		}
	}
	out := strings.TrimSpace(b.String())
	if len(out) > maxSubject {
		out = strings.TrimSpace(out[:maxSubject-3]) + "..."
	}
	if out == "" {
		out = "Warden notification"
	}
	return out
}

// textBody bounds the text to what SNS takes.
func textBody(s string) string {
	s = strings.TrimSpace(s)
	if len(s) <= maxBody {
		return s
	}
	const more = "\n\n(truncated)"
	cut := maxBody - len(more)
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + more
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// jsonMessage is the JSON body: the message, and how many items were
// left out to fit SNS's size limit.
type jsonMessage struct {
	*notify.Message
	OmittedItems int `json:"omitted_items,omitempty"`
}

// jsonBody encodes msg, leaving out its last items when it is too large.
func jsonBody(msg *notify.Message) (string, error) {
	enc := func(n int) ([]byte, error) {
		m := *msg
		m.Items = msg.Items[:n]
		return json.Marshal(jsonMessage{Message: &m, OmittedItems: len(msg.Items) - n})
	}
	b, err := enc(len(msg.Items))
	if err != nil {
		return "", fmt.Errorf("encoding the message: %w", err)
	}
	if len(b) <= maxBody {
		return string(b), nil
	}
	// The largest number of items that fits.
	lo, hi := 0, len(msg.Items)-1
	var best []byte
	for lo <= hi {
		mid := (lo + hi) / 2
		b, err := enc(mid)
		if err != nil {
			return "", fmt.Errorf("encoding the message: %w", err)
		}
		if len(b) <= maxBody {
			best, lo = b, mid+1
		} else {
			hi = mid - 1
		}
	}
	if best == nil {
		return "", fmt.Errorf("the message is over %d bytes even without its items", maxBody)
	}
	return string(best), nil
}

// attributes are the message attributes subscription filter policies
// match on: severity (the highest of the items), kind, and account (one
// account as a String, several as a String.Array).
func attributes(msg *notify.Message) map[string]types.MessageAttributeValue {
	attrs := map[string]types.MessageAttributeValue{
		"kind": {DataType: aws.String("String"), StringValue: aws.String(string(msg.Kind))},
	}
	if len(msg.Items) == 0 {
		return attrs
	}
	var sev finding.Severity
	set := map[string]bool{}
	for i := range msg.Items {
		sev = max(sev, msg.Items[i].Record.Severity)
		if a := msg.Items[i].Record.AccountID; a != "" {
			set[a] = true
		}
	}
	attrs["severity"] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(sev.String())}
	accounts := make([]string, 0, len(set))
	for a := range set {
		accounts = append(accounts, tmpl.OneLine(a))
	}
	sort.Strings(accounts)
	switch len(accounts) {
	case 0:
	case 1:
		attrs["account"] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(accounts[0])}
	default:
		b, _ := json.Marshal(accounts)
		attrs["account"] = types.MessageAttributeValue{DataType: aws.String("String.Array"), StringValue: aws.String(string(b))}
	}
	return attrs
}

// groupID is the FIFO message group: the group key when SNS accepts it
// as one (1 to 128 ASCII letters, digits and punctuation), else its hash.
func groupID(key string) string {
	if key == "" {
		return "warden"
	}
	ok := len(key) <= maxGroupID
	for i := 0; ok && i < len(key); i++ {
		ok = key[i] > 0x20 && key[i] < 0x7f
	}
	if ok {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	return "g-" + hex.EncodeToString(sum[:])
}

// DedupID is the FIFO deduplication id of a message: the SHA-256 of its
// JSON without the send time, so the same outbox message sent again gets
// the same id, and a new decision (a new DecidedAt) a new one.
func DedupID(msg *notify.Message) string {
	m := *msg
	m.Now = time.Time{}
	b, _ := json.Marshal(&m)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
