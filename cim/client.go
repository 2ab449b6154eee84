package cim

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"golang.org/x/sync/singleflight"

	"github.com/threepar/rcopy-exporter/internal/safefile"
)

// DefaultMaxResponseBytes caps a response when ClientOptions leaves
// MaxResponseBytes at 0: far above the volume list of the largest array
// (about 6 KiB per TPD_StorageVolume instance).
const DefaultMaxResponseBytes = 32 << 20

// ClientOptions configures NewClient.
type ClientOptions struct {
	// URL of the CIM server, e.g. https://array:5989; CIMOMPath is
	// appended when the URL has no path. Credentials in the URL are
	// refused: they would end up in logs and errors.
	URL       string
	Namespace string // default "root/tpd"
	User      string
	// Password as read by the caller from a file. It is only ever put in
	// the Authorization header, never in an error or log.
	Password           string
	CAFile             string // PEM bundle to verify an https server; system roots when empty
	InsecureSkipVerify bool   // explicit opt-in for self-signed arrays
	MaxResponseBytes   int64  // default DefaultMaxResponseBytes
	// HTTPClient replaces the client NewClient builds (CAFile and
	// InsecureSkipVerify are then ignored). Redirects should be refused.
	HTTPClient *http.Client
}

// Client performs CIM-XML operations against one server and namespace. It
// is safe for concurrent use.
type Client struct {
	url       string // without credentials; safe to print
	namespace string
	user      string
	password  string
	maxBytes  int64
	http      *http.Client
	nextID    atomic.Uint64
	flight    singleflight.Group // concurrent RemoteCopyVolumes share one read
	closed    atomic.Bool
}

// NewClient checks opts and builds a client. It does not connect.
func NewClient(opts ClientOptions) (*Client, error) {
	u, err := url.Parse(opts.URL)
	if err != nil {
		// url.Parse errors quote the input, which may hold a password.
		return nil, errors.New("cim: invalid URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("cim: URL scheme %q, want http or https", u.Scheme)
	}
	if u.Host == "" {
		return nil, errors.New("cim: URL has no host")
	}
	if u.User != nil {
		return nil, errors.New("cim: URL must not contain credentials; set user and password_file")
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = CIMOMPath
	}
	c := &Client{
		url:       u.String(),
		namespace: strings.Trim(opts.Namespace, "/"),
		user:      opts.User,
		password:  opts.Password,
		maxBytes:  opts.MaxResponseBytes,
		http:      opts.HTTPClient,
	}
	if c.namespace == "" {
		c.namespace = "root/tpd"
	}
	if c.maxBytes <= 0 {
		c.maxBytes = DefaultMaxResponseBytes
	}
	if c.http == nil {
		tlsConf := &tls.Config{InsecureSkipVerify: opts.InsecureSkipVerify, MinVersion: tls.VersionTLS12} //nolint:gosec // explicit opt-in
		if opts.CAFile != "" {
			pem, err := safefile.Read(opts.CAFile, safefile.MaxCAFile)
			if err != nil {
				return nil, fmt.Errorf("cim: reading CA file: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("cim: %s: no PEM certificate found", opts.CAFile)
			}
			tlsConf.RootCAs = pool
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = tlsConf
		tr.MaxIdleConnsPerHost = 2
		c.http = &http.Client{
			Transport: tr,
			// A CIM server does not redirect; following one would send
			// the credentials somewhere else.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return c, nil
}

// Close closes the client's idle connections, and those of requests still
// in flight (or made later) once their answer is read. The client remains
// usable;
// the exporter calls Close for the clients a configuration reload
// replaces, which would otherwise keep their connections open until the
// server or the idle timeout closed them. With ClientOptions.HTTPClient,
// that client's idle connections are closed too.
func (c *Client) Close() {
	c.closed.Store(true)
	c.http.CloseIdleConnections()
}

// URL returns the server URL the client posts to (no credentials).
func (c *Client) URL() string { return c.url }

// Namespace returns the namespace the client reads.
func (c *Client) Namespace() string { return c.namespace }

// EnumerateInstances returns every instance of className with all
// properties; key properties are marked.
func (c *Client) EnumerateInstances(ctx context.Context, className string) ([]Instance, error) {
	rsp, err := c.call(ctx, Request{
		Method:    OpEnumerateInstances,
		ClassName: className,
		Params:    map[string]string{"DeepInheritance": "TRUE", "LocalOnly": "FALSE", "IncludeQualifiers": "FALSE", "IncludeClassOrigin": "FALSE"},
	}, className)
	if err != nil {
		return nil, err
	}
	return rsp.Instances, nil
}

// GetInstance returns the instance that path names; a missing one is an
// *Error with Code ErrNotFound. Host and namespace of path are ignored: the
// client's namespace is read.
func (c *Client) GetInstance(ctx context.Context, path ObjectPath) (Instance, error) {
	local := path
	local.Host, local.Namespace = "", ""
	rsp, err := c.call(ctx, Request{
		Method:       OpGetInstance,
		InstanceName: &local,
		Params:       map[string]string{"LocalOnly": "FALSE"},
	}, path.ClassName)
	if err != nil {
		return Instance{}, err
	}
	if len(rsp.Instances) != 1 {
		return Instance{}, fmt.Errorf("cim: GetInstance %s at %s: server returned %d instances, want 1", path.ClassName, c.url, len(rsp.Instances))
	}
	in := rsp.Instances[0]
	markKeys(&in, local)
	return in, nil
}

// call posts one request and decodes the answer. Errors name the
// operation, class and URL, never the credentials.
func (c *Client) call(ctx context.Context, req Request, class string) (Response, error) {
	req.ID = strconv.FormatUint(1000+c.nextID.Add(1), 10)
	req.Namespace = c.namespace
	what := fmt.Sprintf("cim: %s %s at %s", req.Method, class, c.url)

	var body bytes.Buffer
	if err := EncodeRequest(&body, req); err != nil {
		return Response{}, fmt.Errorf("%s: encoding request: %w", what, err)
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, &body)
	if err != nil {
		return Response{}, fmt.Errorf("%s: %w", what, err)
	}
	hreq.Header.Set("Content-Type", `application/xml; charset="utf-8"`)
	hreq.Header.Set("CIMProtocolVersion", "1.0")
	hreq.Header.Set("CIMOperation", "MethodCall")
	hreq.Header.Set("CIMMethod", req.Method)
	hreq.Header.Set("CIMObject", url.PathEscape(c.namespace))
	if c.user != "" || c.password != "" {
		hreq.SetBasicAuth(c.user, c.password)
	}
	// The connection the request used, to close it after the answer once
	// the client is closed (Close may come while the request is in flight).
	var used net.Conn
	hreq = hreq.WithContext(httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) { used = info.Conn },
	}))
	hrsp, err := c.http.Do(hreq)
	if err != nil {
		// url.Error repeats method and URL; keep only the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return Response{}, fmt.Errorf("%s: connection failed: %w", what, err)
	}
	data, err := c.readBody(hrsp)
	if c.closed.Load() && used != nil {
		// Not back to the idle pool: the transport retries a request that
		// finds it closed there on another connection.
		used.Close()
	}
	if err != nil {
		return Response{}, fmt.Errorf("%s: %w", what, err)
	}
	switch {
	case hrsp.StatusCode == http.StatusUnauthorized:
		return Response{}, fmt.Errorf("%s: %w", what, ErrUnauthorized)
	case hrsp.StatusCode != http.StatusOK:
		msg := fmt.Sprintf("%s: HTTP %s", what, hrsp.Status)
		if ce := hrsp.Header.Get("CIMError"); ce != "" {
			msg += ", CIMError " + ce
		}
		return Response{}, errors.New(msg)
	}
	if int64(len(data)) > c.maxBytes {
		return Response{}, fmt.Errorf("%s: response larger than %d bytes (max_response_bytes); not decoded", what, c.maxBytes)
	}
	rsp, err := DecodeResponseContext(ctx, data)
	if err != nil {
		if ce := hrsp.Header.Get("CIMError"); ce != "" {
			return Response{}, fmt.Errorf("%s: CIMError %s: %w", what, ce, err)
		}
		return Response{}, fmt.Errorf("%s: %w", what, err)
	}
	if rsp.Err != nil {
		return Response{}, fmt.Errorf("%s: %w", what, rsp.Err)
	}
	if rsp.ID != req.ID {
		return Response{}, fmt.Errorf("%s: response MESSAGE ID %q, want %q", what, rsp.ID, req.ID)
	}
	return rsp, nil
}

// readBody reads a response body of at most maxBytes into one buffer sized
// from Content-Length when the server sends it, and closes the body.
func (c *Client) readBody(hrsp *http.Response) ([]byte, error) {
	defer hrsp.Body.Close()
	if hrsp.ContentLength > c.maxBytes {
		return nil, fmt.Errorf("response of %d bytes is larger than %d bytes (max_response_bytes); not read", hrsp.ContentLength, c.maxBytes)
	}
	size := 512
	if hrsp.ContentLength > 0 {
		size = int(hrsp.ContentLength) + 1 // one more to see the end without growing
	}
	buf := make([]byte, 0, size)
	body := io.LimitReader(hrsp.Body, c.maxBytes+1)
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, len(buf)) // doubles, as io.ReadAll does
		}
		n, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading response: %w", err)
		}
	}
}
