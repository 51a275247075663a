package policy

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/wardenhq/warden/internal/detect"
	"github.com/wardenhq/warden/internal/route"
)

// File names and folders of a policy repo.
const (
	SettingsFile  = "warden.yaml"
	AccountsFile  = "accounts.yaml"
	ReceiversFile = "receivers.yaml"
	RoutesFile    = "routes.yaml"
	RulesDir      = "rules"
	DetectionsDir = "detections"
	TestsDir      = "tests"
)

// Repo is a policy repo as read from disk, before compilation.
type Repo struct {
	Dir       string
	Commit    string
	Settings  Settings
	Inventory Inventory
	Receivers []Receiver
	// Routes is routes.yaml; nil when the repo has none.
	Routes     *route.File
	Rules      []SourcedRule
	Detections []SourcedDetection

	files map[string]*yamlFile // by name relative to Dir
}

// SourcedRule is a rule and where it was written.
type SourcedRule struct {
	Rule
	File  string
	Index int // position in the file's rules list
}

// SourcedDetection is a detection rule and where it was written; File is
// "builtin" for the built-in pack.
type SourcedDetection struct {
	detect.Rule
	File  string
	Index int
}

// Load reads, validates and compiles the policy repo in dir. The error,
// when not nil, joins every problem found (each a *Problem with
// file:line:col), not only the first.
func Load(dir string) (*Set, error) {
	repo, err := Read(dir)
	if err != nil {
		return nil, err
	}
	return Compile(repo)
}

// Read reads and schema-checks every file of the repo and records its git
// commit.
func Read(dir string) (*Repo, error) {
	r, err := read(dir)
	if err != nil {
		return nil, err
	}
	r.Commit = gitCommit(dir)
	return r, nil
}

func read(dir string) (*Repo, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("reading policy repo: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("reading policy repo: %s is not a directory", dir)
	}
	r := &Repo{Dir: dir, files: map[string]*yamlFile{}}
	var errs []error
	load := func(name, kind string, v any, required bool) {
		f, problems := r.readFile(name, kind, required)
		errs = append(errs, problems...)
		if f == nil || len(problems) > 0 {
			return
		}
		if err := f.decode(v); err != nil {
			errs = append(errs, err)
		}
	}
	r.Settings = defaultSettings()
	load(SettingsFile, kindSettings, &r.Settings, true)
	load(AccountsFile, kindAccounts, &r.Inventory, false)
	var recv ReceiverFile
	load(ReceiversFile, kindReceivers, &recv, false)
	r.Receivers = recv.Receivers
	var routes route.File
	load(RoutesFile, kindRoutes, &routes, false)
	if r.files[RoutesFile] != nil {
		r.Routes = &routes
	}

	ruleFiles, err := yamlFiles(dir, RulesDir)
	if err != nil {
		errs = append(errs, err)
	}
	for _, name := range ruleFiles {
		var rf RuleFile
		load(name, kindRules, &rf, true)
		for i, rule := range rf.Rules {
			r.Rules = append(r.Rules, SourcedRule{Rule: rule, File: name, Index: i})
		}
	}
	detFiles, err := yamlFiles(dir, DetectionsDir)
	if err != nil {
		errs = append(errs, err)
	}
	for _, name := range detFiles {
		var df DetectionFile
		load(name, kindDetections, &df, true)
		for i, d := range df.Detections {
			r.Detections = append(r.Detections, SourcedDetection{Rule: d, File: name, Index: i})
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return r, nil
}

func defaultSettings() Settings {
	return Settings{
		State:    StateSettings{Driver: "sqlite", Path: "warden.db"},
		Tracking: TrackingSettings{RenotifyAfter: Duration(15 * 24 * 60 * 60 * 1e9)},
		Default:  DefaultRoute{Tier: 3},
		Strategy: Strategy{
			Delay:           Duration(60 * 60 * 1e9),
			ApprovalTimeout: Duration(24 * 60 * 60 * 1e9),
			Matrix: []StrategyRow{
				{Environments: []string{"prod", "production"}, Destructive: ModeTicket, NonDestructive: ModeAuto},
				{Environments: []string{"*"}, Destructive: ModeApproval, NonDestructive: ModeAuto},
			},
		},
	}
}

// readFile parses and schema-checks one file. A missing optional file
// yields (nil, nil).
func (r *Repo) readFile(name, kind string, required bool) (*yamlFile, []error) {
	src, err := os.ReadFile(filepath.Join(r.Dir, name))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && !required {
			return nil, nil
		}
		return nil, []error{&Problem{File: name, Msg: err.Error()}}
	}
	f, err := parseYAML(name, src)
	if err != nil {
		return nil, []error{err}
	}
	r.files[name] = f
	return f, validateSchema(f, kind)
}

// yamlFiles lists sub/*.yaml and *.yml, sorted, as paths relative to dir.
func yamlFiles(dir, sub string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(dir, sub))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("listing %s: %w", sub, err)
	}
	var out []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || strings.HasPrefix(n, ".") {
			continue
		}
		if strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml") {
			out = append(out, filepath.ToSlash(filepath.Join(sub, n)))
		}
	}
	sort.Strings(out)
	return out, nil
}

// at positions a problem in one of the repo's files.
func (r *Repo) at(file string, path []string, format string, args ...any) *Problem {
	if f, ok := r.files[file]; ok {
		return f.at(path, format, args...)
	}
	return &Problem{File: file, Msg: fmt.Sprintf(format, args...)}
}
