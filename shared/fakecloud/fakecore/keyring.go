package fakecore

import "sync"

// Default credentials every emulator accepts unless told otherwise. They are not secrets: they only
// open the local emulator.
const (
	DefaultAccessKeyID     = "LTAI5tFakeCloudDemoKey"
	DefaultAccessKeySecret = "fakecloud-demo-secret-not-real"
)

// Credential is an access key the emulator accepts. A non-empty SecurityToken makes it an STS key:
// requests signed with it must carry that token.
type Credential struct {
	AccessKeyID     string
	AccessKeySecret string
	SecurityToken   string
}

// Keyring maps access key ids to credentials. It is safe for concurrent use.
type Keyring struct {
	mu   sync.RWMutex
	byID map[string]Credential
}

// NewKeyring returns a keyring holding the default credential.
func NewKeyring() *Keyring {
	k := &Keyring{byID: map[string]Credential{}}
	k.Add(Credential{AccessKeyID: DefaultAccessKeyID, AccessKeySecret: DefaultAccessKeySecret})
	return k
}

// Add adds or replaces a credential.
func (k *Keyring) Add(c Credential) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.byID[c.AccessKeyID] = c
}

// Lookup returns the credential for an access key id.
func (k *Keyring) Lookup(id string) (Credential, bool) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	c, ok := k.byID[id]
	return c, ok
}
