package pagerduty

import "github.com/wardenhq/warden/internal/notify"

// The application registers receivers explicitly (internal/app/register.go);
// tests of this package register this one for notify.New.
func init() { notify.Register(Type, New) }
