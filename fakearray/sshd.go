package fakearray

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/subtle"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	gliderssh "github.com/gliderlabs/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// CLIPrompt is the interactive shell's prompt, as on a real array.
const CLIPrompt = "cli% "

// sshServer is one array's SSH server: CLI users get the array CLI,
// simadmin gets simctl.
type sshServer struct {
	sim        *Sim
	a          *simArray
	ln         *switchListener
	main, alt  *gliderssh.Server // alt presents the other host key (host-key-change)
	loopExited chan struct{}
	stats      sshCounter
}

func newSSHServer(s *Sim, a *simArray, addr string) (*sshServer, error) {
	ln, err := newSwitchListener(addr)
	if err != nil {
		return nil, err
	}
	h := &sshServer{sim: s, a: a, ln: ln, loopExited: make(chan struct{})}
	h.main = h.newServer(a.hostKey)
	h.alt = h.newServer(a.altKey)
	s.wg.Add(1)
	go h.acceptLoop()
	return h, nil
}

func (h *sshServer) newServer(key gossh.Signer) *gliderssh.Server {
	return &gliderssh.Server{
		Handler:          h.handle,
		HostSigners:      []gliderssh.Signer{key},
		PasswordHandler:  h.passwordOK,
		PublicKeyHandler: h.publicKeyOK,
		ChannelHandlers:  map[string]gliderssh.ChannelHandler{"session": gliderssh.DefaultSessionHandler},
		Version:          "OpenSSH_8.0", // arrays' CLI servers announce an OpenSSH version
	}
}

// acceptLoop hands each connection to the server with the right host key.
func (h *sshServer) acceptLoop() {
	defer h.sim.wg.Done()
	defer close(h.loopExited)
	for {
		c, err := h.ln.Accept()
		if err != nil {
			return
		}
		h.sim.mu.RLock()
		srv := h.main
		if h.a.faults.has(FaultHostKeyChange) {
			srv = h.alt
		}
		h.sim.mu.RUnlock()
		h.sim.wg.Add(1)
		h.stats.connOpened()
		go func() {
			defer h.sim.wg.Done()
			defer h.stats.connClosed()
			srv.HandleConn(c) // returns once the connection is closed
		}()
	}
}

func (h *sshServer) close() {
	h.ln.Close()
	<-h.loopExited
}

func (h *sshServer) passwordOK(ctx gliderssh.Context, password string) bool {
	if ctx.User() == DefaultAdminUser {
		return subtle.ConstantTimeCompare([]byte(password), []byte(h.sim.adminPW)) == 1
	}
	u, ok := h.cliUser(ctx.User())
	return ok && u.passwordOK(password)
}

func (h *sshServer) publicKeyOK(ctx gliderssh.Context, key gliderssh.PublicKey) bool {
	u, ok := h.cliUser(ctx.User())
	if !ok {
		return false
	}
	for _, k := range u.keys {
		if gliderssh.KeysEqual(k, key) {
			return true
		}
	}
	return false
}

// cliUser returns the named CLI user unless the array refuses logins (auth-fail).
func (h *sshServer) cliUser(name string) (*user, bool) {
	h.sim.mu.RLock()
	defer h.sim.mu.RUnlock()
	u := h.a.users[name]
	if u == nil || h.a.faults.has(FaultAuthFail) {
		return nil, false
	}
	return u, true
}

func (h *sshServer) handle(sess gliderssh.Session) {
	if sess.User() == DefaultAdminUser {
		h.control(sess)
		return
	}
	end := h.stats.sessionStarted()
	defer end()
	sess = countedSession{sess, end}
	h.sim.mu.RLock()
	tooMany := h.a.faults.has(FaultTooManySessions)
	h.sim.mu.RUnlock()
	if tooMany {
		io.WriteString(sess, TooManySessionsText+"\n")
		sess.Exit(exitError)
		return
	}
	cli := &cliSession{done: sess.Context().Done()}
	if sess.RawCommand() == "" && sess.Subsystem() == "" {
		h.shell(sess, cli)
		return
	}
	out, status, ok := h.run(sess, cli, sess.RawCommand())
	if !ok {
		return
	}
	sess.Write(out)
	sess.Exit(status)
}

// run runs one command line with the connection faults applied. ok is
// false when the session must end without an exit status (hang ended by
// the client, disconnect-mid-output).
func (h *sshServer) run(sess gliderssh.Session, cli *cliSession, line string) (out []byte, status int, ok bool) {
	s := h.sim
	s.mu.RLock()
	slow, isSlow := h.a.faults[FaultSlow]
	hang := h.a.faults.has(FaultHang)
	s.mu.RUnlock()
	if isSlow {
		t := time.NewTimer(slow.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-sess.Context().Done():
			return nil, 0, false
		case <-s.done:
			return nil, 0, false
		}
	}
	if hang {
		select {
		case <-sess.Context().Done():
		case <-s.done:
		}
		return nil, 0, false
	}
	out, status = s.runCommand(h.a, cli, line)
	s.mu.RLock()
	disconnect := h.a.faults.has(FaultDisconnectMidOutput)
	s.mu.RUnlock()
	if disconnect {
		sess.Write(out[:len(out)/2])
		if c, ok := sess.Context().Value(gliderssh.ContextKeyConn).(gossh.Conn); ok {
			c.Close()
		}
		return nil, 0, false
	}
	return out, status, true
}

// sessionTerminal reads lines from sess and returns where to write: with a pty,
// input is echoed and output lines end in CRLF, as a terminal expects.
func sessionTerminal(sess gliderssh.Session) (*lineReader, io.Writer) {
	lr := &lineReader{r: bufio.NewReader(sess)}
	if _, _, isPty := sess.Pty(); isPty {
		lr.echo = sess
		return lr, crlfWriter{sess}
	}
	return lr, sess
}

// shell is the interactive CLI: a prompt, one command per line, exit ends it.
func (h *sshServer) shell(sess gliderssh.Session, cli *cliSession) {
	lr, w := sessionTerminal(sess)
	cli.confirm = func(q string) bool {
		io.WriteString(w, q)
		line, err := lr.readLine()
		return err == nil && strings.HasPrefix(strings.ToLower(strings.TrimSpace(line)), "y")
	}
	for {
		io.WriteString(w, CLIPrompt)
		line, err := lr.readLine()
		if err != nil {
			sess.Exit(exitOK)
			return
		}
		line = strings.TrimSpace(line)
		if line == "exit" || line == "quit" {
			sess.Exit(exitOK)
			return
		}
		out, _, ok := h.run(sess, cli, line)
		if !ok {
			return
		}
		w.Write(out)
	}
}

// control serves the simadmin user: simctl commands, by exec or shell.
func (h *sshServer) control(sess gliderssh.Session) {
	if sess.RawCommand() != "" {
		if f := strings.Fields(sess.RawCommand()); len(f) == 4 && f[0] == "simctl" && f[1] == "array" && f[2] == "down" && f[3] == h.a.cfg.Name {
			// Powering off the array this session runs on: close the
			// listener and the other sessions, answer, then drop this one.
			if err := h.sim.setArrayDown(h.a.cfg.Name, true, sess.RemoteAddr().String()); err != nil {
				io.WriteString(sess, "Error: "+err.Error()+"\n")
			} else {
				io.WriteString(sess, "OK\n")
			}
			sess.Exit(exitOK)
			if c, ok := sess.Context().Value(gliderssh.ContextKeyConn).(gossh.Conn); ok {
				c.Close()
			}
			return
		}
		out, status := h.sim.control(sess.RawCommand())
		io.WriteString(sess, out)
		sess.Exit(status)
		return
	}
	lr, w := sessionTerminal(sess)
	for {
		io.WriteString(w, "simctl% ")
		line, err := lr.readLine()
		if err != nil || strings.TrimSpace(line) == "exit" {
			sess.Exit(exitOK)
			return
		}
		out, _ := h.sim.control(line)
		io.WriteString(w, out)
	}
}

// lineReader reads lines typed on a terminal or piped in: CR, LF or CRLF
// end a line; on a terminal it echoes and handles backspace and ^C.
type lineReader struct {
	r      *bufio.Reader
	echo   io.Writer // nil: no echo (no pty)
	lastCR bool
}

func (lr *lineReader) readLine() (string, error) {
	var line []byte
	for {
		c, err := lr.r.ReadByte()
		if err != nil {
			if len(line) > 0 {
				return string(line), nil
			}
			return "", err
		}
		wasCR := lr.lastCR
		lr.lastCR = c == '\r'
		switch c {
		case '\n':
			if wasCR && len(line) == 0 {
				continue // the LF of a CRLF
			}
			lr.write("\r\n")
			return string(line), nil
		case '\r':
			lr.write("\r\n")
			return string(line), nil
		case 0x7f, 0x08:
			if len(line) > 0 {
				line = line[:len(line)-1]
				lr.write("\b \b")
			}
		case 0x03: // ^C drops the line
			lr.write("^C\r\n")
			return "", nil
		case 0x04: // ^D on an empty line ends the session
			if len(line) == 0 {
				return "", io.EOF
			}
		default:
			if len(line) > 4096 {
				return "", errors.New("line too long")
			}
			line = append(line, c)
			lr.write(string(c))
		}
	}
}

func (lr *lineReader) write(s string) {
	if lr.echo != nil {
		io.WriteString(lr.echo, s)
	}
}

// crlfWriter turns LF into CRLF for terminals.
type crlfWriter struct{ w io.Writer }

func (c crlfWriter) Write(p []byte) (int, error) {
	_, err := c.w.Write([]byte(strings.ReplaceAll(string(p), "\n", "\r\n")))
	return len(p), err
}

// loadOrCreateHostKey reads an OpenSSH/PEM private key from path; when the
// file does not exist it generates an ed25519 key and writes it there
// (mode 0600, its directory created), so that the host key stays the same
// across restarts. An empty path gives a key in memory. The file appears
// whole or not at all: written aside, then linked into place, so that two
// simulators starting at once agree on one key.
func loadOrCreateHostKey(path string) (gossh.Signer, error) {
	if path != "" {
		if signer, err := readHostKey(path); !errors.Is(err, fs.ErrNotExist) {
			return signer, err
		}
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	signer, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		return nil, err
	}
	if path == "" {
		return signer, nil
	}
	block, err := gossh.MarshalPrivateKey(priv, "fakearray host key")
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".host-key-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(pem.EncodeToMemory(block)); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	// Link, unlike rename, never replaces a key another process just wrote.
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return readHostKey(path)
		}
		return nil, err
	}
	return signer, nil
}

func readHostKey(path string) (gossh.Signer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	signer, err := gossh.ParsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return signer, nil
}
