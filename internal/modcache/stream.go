package modcache

import (
	"archive/zip"
	"compress/flate"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

// A big zip arrives over seconds. Unpacking it only once it is complete
// leaves the CPUs idle while it downloads and makes the run end with
// seconds of unpacking after the last byte. A ZipStream lets the zip be
// unpacked while it is written: the entries are read from the local
// headers as they land (zip files written by archive/zip, as module zips
// are, can be read front to back), each file decompressed once into the
// private staging directory while its SHA-256 and CRC-32 are computed.
//
// Nothing from the stream is trusted until the zip is complete: then the
// module zip rules are checked on the whole file (x/mod/zip.CheckZip) and
// every entry of the central directory, which is what x/mod/zip.Unzip and
// dirhash.HashZip read, must be an entry that was unpacked: same name, data
// offset, method, CRC-32 and sizes, and nothing unpacked that the central
// directory lacks. Only then is the "h1:" hash computed and checked. A
// zip the stream cannot follow (another layout, a malformed header, a
// name the module zip rules forbid) is simply unpacked again from the
// file, by StageZip.

// ZipStream is a zip being downloaded into a temporary file, followed by
// an unpacker. The writer reports its progress with Wrote and ends with
// Close.
type ZipStream struct {
	c   *Cache
	m   module.Version
	tmp string

	mu     sync.Mutex
	cond   *sync.Cond
	n      int64 // bytes on disk
	closed bool
	werr   error // the download failed

	gate     CPUGate
	priority int64
	holding  bool // the unpacker holds a token of gate

	done    chan struct{} // the unpacker stopped
	dir     string        // staging directory
	entries []streamEntry
	err     error // why the unpacker gave up, if it did
}

// streamEntry is one unpacked entry of the zip, as its local header and
// data said.
type streamEntry struct {
	name       string
	dataOffset int64
	method     uint16
	crc        uint32
	csize      uint64
	usize      uint64
	sum        [sha256.Size]byte
}

// errStreamGaveUp marks an unpacker that stopped before the end.
var errStreamGaveUp = errors.New("zip stream not followed")

// CPUGate bounds CPU-bound work across a run. The unpacker of a ZipStream
// holds a token while it unpacks and none while it waits for the download.
type CPUGate interface {
	Acquire(ctx context.Context, priority int64) error
	Release()
}

// FollowZip starts unpacking m's zip while it is written to tmp (a file
// from CreateTemp that the caller keeps writing), holding a token of gate
// (nil: no limit) at the given priority while it works. The unpacker
// stops when ctx ends; the caller must call Close when the download ends,
// and then Stage or Discard.
func (c *Cache) FollowZip(ctx context.Context, m module.Version, tmp string, gate CPUGate, priority int64) *ZipStream {
	s := &ZipStream{c: c, m: m, tmp: tmp, done: make(chan struct{}), gate: gate, priority: priority}
	s.cond = sync.NewCond(&s.mu)
	go s.follow(ctx)
	return s
}

// Wrote reports that the zip file now holds n bytes.
func (s *ZipStream) Wrote(n int64) {
	s.mu.Lock()
	s.n = n
	s.mu.Unlock()
	s.cond.Broadcast()
}

// Close reports that the download ended, with err if it failed.
func (s *ZipStream) Close(err error) {
	s.mu.Lock()
	s.closed, s.werr = true, err
	s.mu.Unlock()
	s.cond.Broadcast()
}

// Discard stops the unpacker and removes what it wrote (not the zip).
func (s *ZipStream) Discard() {
	s.Close(errStreamGaveUp)
	<-s.done
	if s.dir != "" {
		RemoveAll(s.dir)
		s.dir = ""
	}
}

// Stage finishes what StageZip does for the complete zip: it waits for
// the unpacker, checks the zip and the unpacked entries against its
// central directory and passes the hash to check. ok is false when the
// stream could not be used (the unpacker gave up, or the central directory
// disagrees with the stream): then nothing is staged, the zip file is left
// as it is, and the caller stages it with StageZip, which gives the right
// verdict on it. The caller has called Close(nil).
func (s *ZipStream) Stage(ctx context.Context, check func(hash string) error) (st *Staged, ok bool, err error) {
	<-s.done
	if s.err != nil {
		s.Discard()
		return nil, false, nil
	}
	hash, err := s.verify()
	if err != nil {
		s.Discard()
		return nil, false, nil
	}
	st = &Staged{c: s.c, m: s.m, zip: s.tmp, dir: s.dir, hash: hash}
	if err := ctx.Err(); err != nil {
		st.Discard()
		return nil, true, err
	}
	if check != nil {
		if err := check(hash); err != nil {
			st.Discard()
			return nil, true, err
		}
	}
	return st, true, nil
}

// verify checks the complete zip and returns its hash.
func (s *ZipStream) verify() (string, error) {
	cf, err := modzip.CheckZip(s.m, s.tmp)
	if err == nil {
		err = cf.Err()
	}
	if err != nil {
		return "", err
	}
	z, err := zip.OpenReader(s.tmp)
	if err != nil {
		return "", err
	}
	defer z.Close()
	if len(z.File) != len(s.entries) {
		return "", fmt.Errorf("central directory lists %d entries, the stream had %d", len(z.File), len(s.entries))
	}
	byOffset := make(map[int64]*streamEntry, len(s.entries))
	for i := range s.entries {
		byOffset[s.entries[i].dataOffset] = &s.entries[i]
	}
	names := make([]string, 0, len(z.File))
	sums := make(map[string][sha256.Size]byte, len(z.File))
	for _, zf := range z.File {
		off, err := zf.DataOffset()
		if err != nil {
			return "", err
		}
		e := byOffset[off]
		if e == nil || e.name != zf.Name || e.method != zf.Method || e.crc != zf.CRC32 ||
			e.csize != zf.CompressedSize64 || e.usize != zf.UncompressedSize64 {
			return "", fmt.Errorf("entry %s differs from the stream", zf.Name)
		}
		delete(byOffset, off)
		names = append(names, zf.Name)
		sums[zf.Name] = e.sum
	}
	return hash1(names, sums)
}

// follow unpacks the entries as they arrive, until the central directory
// starts; on anything it cannot follow, it stops and records why.
func (s *ZipStream) follow(ctx context.Context) {
	defer close(s.done)
	defer s.idle()
	// Wake the unpacker waiting for bytes when ctx ends.
	stop := context.AfterFunc(ctx, func() {
		s.mu.Lock()
		s.mu.Unlock()
		s.cond.Broadcast()
	})
	defer stop()
	err := s.unpack(ctx)
	if err != nil {
		s.err = err
	}
}

func (s *ZipStream) unpack(ctx context.Context) error {
	f, err := os.Open(s.tmp)
	if err != nil {
		return err
	}
	defer f.Close()
	final, err := s.c.Dir(s.m)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o777); err != nil {
		return err
	}
	if s.dir, err = stagingDir(final); err != nil {
		return err
	}
	r := &growingReader{s: s, f: f, ctx: ctx, buf: make([]byte, 256<<10)}
	prefix := s.m.Path + "@" + s.m.Version + "/"
	made := map[string]bool{s.dir: true}
	crc := crc32.NewIEEE()
	sum := sha256.New()
	copyBuf := make([]byte, 32<<10)
	var total uint64
	for {
		var sig [4]byte
		if err := r.full(sig[:]); err != nil {
			return err
		}
		switch binary.LittleEndian.Uint32(sig[:]) {
		case 0x04034b50: // local file header
		case 0x02014b50, 0x06054b50: // central directory: every entry is in
			return nil
		default:
			return fmt.Errorf("%w: unexpected signature %x", errStreamGaveUp, sig)
		}
		var h [26]byte
		if err := r.full(h[:]); err != nil {
			return err
		}
		flags := binary.LittleEndian.Uint16(h[2:])
		method := binary.LittleEndian.Uint16(h[4:])
		hcrc := binary.LittleEndian.Uint32(h[10:])
		hcsize := uint64(binary.LittleEndian.Uint32(h[14:]))
		husize := uint64(binary.LittleEndian.Uint32(h[18:]))
		nameLen := int(binary.LittleEndian.Uint16(h[22:]))
		extraLen := int(binary.LittleEndian.Uint16(h[24:]))
		nameExtra := make([]byte, nameLen+extraLen)
		if err := r.full(nameExtra); err != nil {
			return err
		}
		name := string(nameExtra[:nameLen])
		descriptor := flags&0x8 != 0
		if flags&0x1 != 0 || method != zip.Deflate && (method != zip.Store || descriptor) || hcsize == 0xffffffff || husize == 0xffffffff {
			// Encrypted, another compression, a stored entry whose end
			// only the central directory knows, or zip64 sizes.
			return fmt.Errorf("%w: entry %s: flags %#x, method %d", errStreamGaveUp, name, flags, method)
		}
		rel, ok := strings.CutPrefix(name, prefix)
		if !ok {
			return fmt.Errorf("%w: entry %s outside %s", errStreamGaveUp, name, prefix)
		}
		dst := ""
		if rel != "" && !strings.HasSuffix(rel, "/") {
			// The module zip rules on names, before anything is created.
			if path.Clean(rel) != rel || module.CheckFilePath(rel) != nil {
				return fmt.Errorf("%w: entry %s: bad file path", errStreamGaveUp, name)
			}
			dst = filepath.Join(s.dir, filepath.FromSlash(rel))
		}
		e := streamEntry{name: name, dataOffset: r.pos, method: method}

		crc.Reset()
		sum.Reset()
		var out io.Writer = io.MultiWriter(crc, sum)
		var w *os.File
		if dst != "" {
			if parent := filepath.Dir(dst); !made[parent] {
				if err := os.MkdirAll(parent, 0o777); err != nil {
					return err
				}
				made[parent] = true
			}
			if w, err = os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o444); err != nil {
				return err
			}
			out = io.MultiWriter(w, crc, sum)
		}
		limit := min(uint64(modzip.MaxZipFile)-total, uint64(modzip.MaxZipFile))
		var n int64
		if method == zip.Store {
			n, err = io.CopyBuffer(out, io.LimitReader(r, int64(hcsize)), copyBuf)
			if err == nil && uint64(n) != hcsize {
				err = io.ErrUnexpectedEOF
			}
		} else {
			fr := flate.NewReader(r) // r is an io.ByteReader: flate reads no further than its stream
			n, err = io.CopyBuffer(out, io.LimitReader(fr, int64(limit)+1), copyBuf)
			fr.Close()
		}
		if w != nil {
			if cerr := w.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			return err
		}
		if uint64(n) > limit {
			return fmt.Errorf("%w: entry %s: too large", errStreamGaveUp, name)
		}
		total += uint64(n)
		e.usize = uint64(n)
		e.csize = uint64(r.pos - e.dataOffset)
		e.crc = crc.Sum32()
		copy(e.sum[:], sum.Sum(nil))
		if descriptor {
			if err := r.descriptor(&e); err != nil {
				return err
			}
		} else if e.crc != hcrc || e.csize != hcsize || e.usize != husize {
			return fmt.Errorf("%w: entry %s does not match its header", errStreamGaveUp, name)
		}
		s.entries = append(s.entries, e)
	}
}

// busy takes a token of the gate before work, unless held.
func (s *ZipStream) busy(ctx context.Context) error {
	if s.gate == nil || s.holding {
		return nil
	}
	if err := s.gate.Acquire(ctx, s.priority); err != nil {
		return err
	}
	s.holding = true
	return nil
}

// idle returns the token while there is nothing to do.
func (s *ZipStream) idle() {
	if s.holding {
		s.holding = false
		s.gate.Release()
	}
}

// growingReader reads the zip file as the download writes it, blocking
// at its end until more is written; pos is the offset of the next byte
// handed out. It is an io.ByteReader, so that flate reads exactly its own
// stream and no further.
type growingReader struct {
	s    *ZipStream
	f    *os.File
	ctx  context.Context
	buf  []byte
	r, w int   // unread bytes are buf[r:w]
	off  int64 // file offset of buf[w]
	pos  int64
}

// fill reads more of the file into the buffer, waiting for the writer.
func (g *growingReader) fill() error {
	s := g.s
	s.mu.Lock()
	if s.n <= g.off && !s.closed {
		s.mu.Unlock()
		s.idle()
		s.mu.Lock()
	}
	for s.n <= g.off && !s.closed && g.ctx.Err() == nil {
		s.cond.Wait()
	}
	n, closed, werr := s.n, s.closed, s.werr
	s.mu.Unlock()
	if err := g.ctx.Err(); err != nil {
		return err
	}
	if err := s.busy(g.ctx); err != nil {
		return err
	}
	if n <= g.off {
		if closed && werr != nil {
			return fmt.Errorf("%w: download failed", errStreamGaveUp)
		}
		return io.ErrUnexpectedEOF
	}
	if g.r == g.w {
		g.r, g.w = 0, 0
	}
	want := min(int64(len(g.buf)-g.w), n-g.off)
	k, err := g.f.ReadAt(g.buf[g.w:g.w+int(want)], g.off)
	g.w += k
	g.off += int64(k)
	if k > 0 {
		return nil
	}
	return err
}

func (g *growingReader) Read(p []byte) (int, error) {
	if g.r == g.w {
		if err := g.fill(); err != nil {
			return 0, err
		}
	}
	k := copy(p, g.buf[g.r:g.w])
	g.r += k
	g.pos += int64(k)
	return k, nil
}

func (g *growingReader) ReadByte() (byte, error) {
	if g.r == g.w {
		if err := g.fill(); err != nil {
			return 0, err
		}
	}
	b := g.buf[g.r]
	g.r++
	g.pos++
	return b, nil
}

func (g *growingReader) full(p []byte) error {
	_, err := io.ReadFull(g, p)
	return err
}

// descriptor reads the data descriptor after an entry's data (with or
// without its optional signature) and checks it against what was read.
func (g *growingReader) descriptor(e *streamEntry) error {
	var b [16]byte
	if err := g.full(b[:12]); err != nil {
		return err
	}
	d := b[:12]
	if binary.LittleEndian.Uint32(b[:4]) == 0x08074b50 && binary.LittleEndian.Uint32(b[4:8]) == e.crc {
		if err := g.full(b[12:16]); err != nil {
			return err
		}
		d = b[4:16]
	}
	if binary.LittleEndian.Uint32(d[0:]) != e.crc || uint64(binary.LittleEndian.Uint32(d[4:])) != e.csize ||
		uint64(binary.LittleEndian.Uint32(d[8:])) != e.usize {
		return fmt.Errorf("%w: entry %s does not match its data descriptor", errStreamGaveUp, e.name)
	}
	return nil
}
