package output

import (
	"sync"

	"github.com/auditctl/auditctl/pkg/audit"
)

// Pipe returns an EventWriter that hands events to ew on another
// goroutine, in batches, so that reading events (a database scan) and
// formatting and writing them run on two cores at once. Events must not be
// changed after they are written. Close flushes, closes ew and returns the
// first error; once ew fails, Write returns that error.
func Pipe(ew EventWriter) EventWriter {
	p := &pipe{ew: ew, ch: make(chan []*audit.Event, 16), batch: make([]*audit.Event, 0, pipeBatch)}
	p.wg.Add(1)
	go p.run()
	return p
}

const pipeBatch = 256

type pipe struct {
	ew    EventWriter
	ch    chan []*audit.Event
	batch []*audit.Event
	wg    sync.WaitGroup

	mu     sync.Mutex
	err    error
	closed bool
}

func (p *pipe) run() {
	defer p.wg.Done()
	for batch := range p.ch {
		if p.failed() != nil {
			continue // drain
		}
		for _, e := range batch {
			if err := p.ew.Write(e); err != nil {
				p.fail(err)
				break
			}
		}
	}
}

func (p *pipe) failed() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

func (p *pipe) fail(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err == nil {
		p.err = err
	}
}

func (p *pipe) Write(e *audit.Event) error {
	if err := p.failed(); err != nil {
		return err
	}
	p.batch = append(p.batch, e)
	if len(p.batch) == pipeBatch {
		p.ch <- p.batch
		p.batch = make([]*audit.Event, 0, pipeBatch)
	}
	return nil
}

func (p *pipe) Close() error {
	if p.closed {
		return p.failed()
	}
	p.closed = true
	if len(p.batch) > 0 {
		p.ch <- p.batch
	}
	close(p.ch)
	p.wg.Wait()
	if err := p.failed(); err != nil {
		return err
	}
	return p.ew.Close()
}
