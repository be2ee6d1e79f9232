package proxytest

import (
	"errors"
	"net/http"
	"sync/atomic"
	"time"
)

// PacedWriter writes a response body in 16 KiB pieces at Rate bytes per
// second from Start (0: at once), adding each piece to every counter in
// Sent, and closes the connection once ResetAfter bytes are written when
// that is above 0: a throttled mirror, or one whose connection breaks
// mid-body, for handlers that serve with http.ServeContent (which
// answers Range requests).
type PacedWriter struct {
	http.ResponseWriter
	Rate       int64
	Sent       []*atomic.Int64
	Start      time.Time
	ResetAfter int64

	n int64
}

func (w *PacedWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		k := min(len(p), 16<<10)
		if w.ResetAfter > 0 && w.n+int64(k) >= w.ResetAfter {
			k = int(w.ResetAfter - w.n)
			w.ResponseWriter.Write(p[:k])
			w.count(k)
			rc := http.NewResponseController(w.ResponseWriter)
			rc.Flush()
			if conn, _, err := rc.Hijack(); err == nil {
				conn.Close()
			}
			return written + k, errors.New("connection reset by the test")
		}
		n, err := w.ResponseWriter.Write(p[:k])
		w.n += int64(n)
		w.count(n)
		written += n
		if err != nil {
			return written, err
		}
		p = p[k:]
		if w.Rate > 0 {
			// The link's pace, emulated; nothing waits for the test here.
			time.Sleep(time.Until(w.Start.Add(time.Duration(w.n * int64(time.Second) / w.Rate))))
		}
	}
	return written, nil
}

func (w *PacedWriter) count(n int) {
	for _, c := range w.Sent {
		c.Add(int64(n))
	}
}
