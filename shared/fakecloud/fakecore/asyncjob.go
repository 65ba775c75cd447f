package fakecore

import (
	"fmt"
	"sort"
	"sync"
	"time"
)

// Jobs models the asynchronous writes of Alibaba ALB and NLB: a write answers at once with a
// JobId, the change takes effect only when the job finishes, and until then the resource it
// touched (a listener) is "Configuring" and refuses the next write with IncorrectStatus.Listener
// (ALB UpdateListenerAttribute and AssociateAdditionalCertificatesWithListener are asynchronous:
// https://help.aliyun.com/document_detail/214350.html; NLB GetJobStatus answers "Processing"
// until "Succeeded": https://www.alibabacloud.com/help/en/slb/network-load-balancer/developer-reference/api-nlb-2022-04-30-getjobstatus;
// terraform-provider-alicloud retries IncorrectStatus.Listener, #4796, #9021). How long a real
// job takes is not published (reports say 5–10 s per certificate change); the emulator uses one
// window for every job, set by SetWindow. With a zero window a job finishes as it starts.
//
// The caller serialises its state with its own lock and calls Start, Busy and Settle under it;
// a job's apply function runs under that same lock, from Busy, Settle or Start.
type Jobs struct {
	mu     sync.Mutex
	window time.Duration
	seq    int
	jobs   map[string]*job
	prefix string
}

type job struct {
	id, resource, api string
	seq               int
	done              time.Time
	applied           bool
	apply             func()
}

// NewJobs returns an empty job table whose ids start with prefix.
func NewJobs(prefix string) *Jobs { return &Jobs{prefix: prefix, jobs: map[string]*job{}} }

// SetWindow sets how long a job runs (0: jobs finish at once).
func (j *Jobs) SetWindow(d time.Duration) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.window = max(d, 0)
}

// Window returns how long a job runs.
func (j *Jobs) Window() time.Duration {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.window
}

// Start records a write to resource by api at now and returns its job id; apply makes the change
// when the job finishes. The caller has checked Busy first.
func (j *Jobs) Start(resource, api string, now time.Time, apply func()) string {
	j.mu.Lock()
	j.seq++
	jb := &job{id: fmt.Sprintf("%s%08x-%04x-4%03x-8%03x-%012x", j.prefix, j.seq*2654435761&0xffffffff, j.seq&0xffff, j.seq&0xfff, (j.seq>>12)&0xfff, j.seq),
		resource: resource, api: api, seq: j.seq, done: now.Add(j.window), apply: apply}
	j.jobs[jb.id] = jb
	j.mu.Unlock()
	j.Settle(now)
	return jb.id
}

// Settle finishes, in the order they started, every job whose time is up at now.
func (j *Jobs) Settle(now time.Time) {
	j.mu.Lock()
	var due []*job
	for _, jb := range j.jobs {
		if !jb.applied && !now.Before(jb.done) {
			jb.applied = true
			due = append(due, jb)
		}
	}
	j.mu.Unlock()
	sort.Slice(due, func(a, b int) bool { return due[a].seq < due[b].seq })
	for _, jb := range due {
		if jb.apply != nil {
			jb.apply()
		}
	}
}

// Busy settles what is due and reports whether resource still has a job running at now.
func (j *Jobs) Busy(resource string, now time.Time) bool {
	j.Settle(now)
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, jb := range j.jobs {
		if jb.resource == resource && !jb.applied {
			return true
		}
	}
	return false
}

// JobState is a job as the status APIs show it.
type JobState struct {
	ID, Resource, API string
	Done              bool
	Created           time.Time
}

// Get settles what is due and returns job id; ok is false for an id never issued.
func (j *Jobs) Get(id string, now time.Time) (JobState, bool) {
	j.Settle(now)
	j.mu.Lock()
	defer j.mu.Unlock()
	jb, ok := j.jobs[id]
	if !ok {
		return JobState{}, false
	}
	return JobState{ID: jb.id, Resource: jb.resource, API: jb.api, Done: jb.applied, Created: jb.done.Add(-j.window)}, true
}
