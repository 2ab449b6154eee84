package cim

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
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
			pem, err := os.ReadFile(opts.CAFile)
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
	hrsp, err := c.http.Do(hreq)
	if err != nil {
		// url.Error repeats method and URL; keep only the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return Response{}, fmt.Errorf("%s: connection failed: %w", what, err)
	}
	defer hrsp.Body.Close()

	if hrsp.ContentLength > c.maxBytes {
		return Response{}, fmt.Errorf("%s: response of %d bytes is larger than %d bytes (max_response_bytes); not read", what, hrsp.ContentLength, c.maxBytes)
	}
	data, err := io.ReadAll(io.LimitReader(hrsp.Body, c.maxBytes+1))
	if err != nil {
		return Response{}, fmt.Errorf("%s: reading response: %w", what, err)
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
	rsp, err := DecodeResponse(data)
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
