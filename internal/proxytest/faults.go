package proxytest

import (
	"bufio"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// FaultKind names an injected misbehaviour.
type FaultKind int

const (
	// None serves the request normally.
	None FaultKind = iota
	// Status answers Fault.Status with Fault.Body (and Fault.Header, e.g.
	// Retry-After).
	Status
	// Body answers 200 with Fault.Body instead of the file: wrong bytes,
	// captive-portal HTML, garbage.
	Body
	// StallHeaders never sends a response.
	StallHeaders
	// StallBody sends headers and Fault.After body bytes of the real file,
	// then stops sending without closing.
	StallBody
	// Reset sends headers and Fault.After bytes, then resets the connection.
	Reset
	// Short declares the file's full Content-Length, sends Fault.After
	// bytes, then closes the connection cleanly.
	Short
	// Endless answers 200 with a body that never ends (paced by the link).
	// With Fault.Length it declares that Content-Length, so a gigantic
	// body is announced up front.
	Endless
	// Redirect answers 302 to Fault.Location.
	Redirect
	// Drop closes the connection without answering: the client sees the
	// connection end before any response header.
	Drop
	// Trickle declares the file's full Content-Length, sends Fault.After
	// bytes at once, then one byte every Fault.Every: data keeps arriving,
	// so only an overall deadline ends the request.
	Trickle
)

// Fault is one injected misbehaviour for one request.
type Fault struct {
	Kind     FaultKind
	Status   int
	Body     []byte
	Header   http.Header
	After    int64
	Location string
	// Length is the Content-Length an Endless body declares; 0 declares
	// none.
	Length int64
	// Every is the pause between the bytes of a Trickle; 0 means 1s.
	Every time.Duration
}

func (s *Server) fault(w http.ResponseWriter, r *http.Request, f Fault) {
	for k, vs := range f.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	switch f.Kind {
	case Status:
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		}
		w.WriteHeader(f.Status)
		s.copy(r.Context(), w, strings.NewReader(string(f.Body)))
	case Body:
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", http.DetectContentType(f.Body))
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(f.Body)))
		w.WriteHeader(http.StatusOK)
		s.copy(r.Context(), w, strings.NewReader(string(f.Body)))
	case StallHeaders:
		s.block(r.Context())
	case StallBody:
		data := s.file(r)
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		w.WriteHeader(http.StatusOK)
		s.copy(r.Context(), w, strings.NewReader(string(data[:min(int64(len(data)), f.After)])))
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		s.block(r.Context())
	case Reset, Short:
		data := s.file(r)
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		writeRawResponse(buf, len(data), data[:min(int64(len(data)), f.After)])
		if f.Kind == Reset {
			if tc, ok := underlyingTCP(conn); ok {
				tc.SetLinger(0)
			}
		}
	case Endless:
		w.Header().Set("Content-Type", "application/octet-stream")
		if f.Length > 0 {
			w.Header().Set("Content-Length", strconv.FormatInt(f.Length, 10))
		}
		w.WriteHeader(http.StatusOK)
		junk := make([]byte, chunk)
		pw := &pacedWriter{w: w, s: s, ctx: r.Context()}
		for {
			if _, err := pw.Write(junk); err != nil {
				return
			}
			select {
			case <-r.Context().Done():
				return
			case <-s.done:
				return
			default:
			}
		}
	case Redirect:
		http.Redirect(w, r, f.Location, http.StatusFound)
	case Drop:
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		conn.Close()
	case Trickle:
		s.trickle(w, r, f)
	}
}

// trickle sends the start of the file, then the rest one byte at a time.
func (s *Server) trickle(w http.ResponseWriter, r *http.Request, f Fault) {
	data := s.file(r)
	every := f.Every
	if every <= 0 {
		every = time.Second
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	head := min(int64(len(data)), f.After)
	w.Write(data[:head])
	rc.Flush()
	t := time.NewTicker(every)
	defer t.Stop()
	for _, b := range data[head:] {
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		}
		if _, err := w.Write([]byte{b}); err != nil {
			return
		}
		s.sent.Add(1)
		rc.Flush()
	}
}

// file returns the bytes the request would normally get, or nil.
func (s *Server) file(r *http.Request) []byte {
	if s.opts.FS == nil {
		return nil
	}
	name := strings.TrimPrefix(r.URL.Path, "/")
	f, err := s.opts.FS.Open(name)
	if err != nil {
		return nil
	}
	defer f.Close()
	var b strings.Builder
	buf := make([]byte, chunk)
	for {
		n, err := f.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return []byte(b.String())
}

func writeRawResponse(buf *bufio.ReadWriter, length int, body []byte) {
	buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ")
	buf.WriteString(strconv.Itoa(length))
	buf.WriteString("\r\n\r\n")
	buf.Write(body)
	buf.Flush()
}

func underlyingTCP(c net.Conn) (*net.TCPConn, bool) {
	for {
		switch x := c.(type) {
		case *net.TCPConn:
			return x, true
		case interface{ Unwrap() net.Conn }:
			c = x.Unwrap()
		default:
			return nil, false
		}
	}
}
