// Package config holds every limit of pixmatch — sizes, pixel counts,
// page sizes, rates and timeouts — in one struct, with the documented
// defaults of the services it emulates.
package config

import "time"

// Config is the whole server configuration.
type Config struct {
	Server  Server
	Images  Images
	Search  Search
	CRS     CRS
	Alibaba Alibaba
}

// Server bounds what one process takes from its machine, whatever its
// clients send: memory, connections and time.
type Server struct {
	// DecodeBytes is the memory all the pictures being decoded at once
	// may take, as their headers declare it (imagefile.Info.Cost; a
	// search's JPEG that is read to its luma alone, imagefile.LumaCost).
	// A picture that would need more than all of it is refused as too
	// large.
	DecodeBytes int64
	// BodyBytes is the most request-body bytes held in memory at once.
	// Handling a body takes up to about three times its size (its
	// parameters, a decoded base64 picture).
	BodyBytes int64
	// BusyWait is how long a request waits for its share of either before
	// it is answered busy (CRS statusCode 21 with HTTP 503, Alibaba
	// DeniedRequest).
	BusyWait time.Duration

	// ReadHeaderTimeout is how long a client may take to send its request
	// line and headers; BodyTimeout how long it may take to send a body.
	ReadHeaderTimeout time.Duration
	BodyTimeout       time.Duration
	// WriteTimeout bounds a response, from the end of its request's
	// headers (the body, the work and the answer).
	WriteTimeout time.Duration
	// RequestTimeout bounds a request's work from the end of its headers:
	// every call that waits — the store, the decode budget, a picture's
	// download — ends with it, and the client gets the catalogue error of
	// the call that could not finish (a store that stopped answering
	// without closing its connections hangs no request past it). It leaves
	// room for a body sent as slowly as BodyTimeout allows, and answers
	// before WriteTimeout cuts the connection.
	RequestTimeout time.Duration
	// IdleTimeout is how long a kept-alive connection may wait for its
	// next request.
	IdleTimeout time.Duration
	// MaxConns caps the open connections. Beyond it, a new connection
	// takes the place of the one that has waited longest for its first
	// request or its next one; with none such it is closed at once.
	MaxConns int
	// ShutdownTimeout bounds how long a stopping server waits for the
	// requests in flight.
	ShutdownTimeout time.Duration
}

// Images bounds the pictures every dialect accepts.
type Images struct {
	// MaxPixels refuses pictures larger than this (width × height) before
	// they are decoded: 8192×8192 and its equivalents.
	MaxPixels int
	// MinSide is the shortest side a picture may have.
	MinSide int
	// FeatureTimeout is how long fingerprinting one picture may take.
	FeatureTimeout time.Duration
}

// Search bounds the work of one search.
type Search struct {
	// Timeout is how long one search may take before it is abandoned.
	Timeout time.Duration
	// MultiIndexRows is how many codes a table of a gallery's hash index
	// (one per target window) holds before it keeps a multi-index, which
	// a search at the match threshold reads instead of scanning the table
	// when that costs less (shared/index); 0 keeps none. A multi-index
	// costs 16 bytes a code and 1 MB a table: measured
	// (BenchmarkMultiIndex), it makes a search at the threshold 9.5×
	// faster at 100,000 targets, 9–11× at 1M and 13.7× at 10M. It starts
	// at 65,536 codes a table: at 100,000 targets it takes a copy search
	// through the API from 6.6 to 4.3 ms of the server's CPU, for 270
	// bytes a target more (the index 796 bytes a target there, 694 at
	// 1M).
	MultiIndexRows int
}

// CRS holds the limits of the EasyAR Cloud Recognition API.
type CRS struct {
	MaxImageBytes   int           // the decoded image file
	MaxMetaBytes    int           // the meta string
	MaxNameLength   int           // characters of a target name
	DefaultPageSize int           // GET /targets/infos without pageSize
	MaxPageSize     int           // GET /targets/infos pageSize
	MaxExpectNumber int           // results of one search
	TimestampSkew   time.Duration // allowed clock difference of a signed request
}

// Alibaba holds the limits of the Alibaba Cloud Image Search API.
type Alibaba struct {
	MaxImageBytes int   // a decoded PicContent
	MinSide       int   // pixels, each side
	MaxSide       int   // pixels, each side
	MaxBodyBytes  int64 // a request body: two pictures in base64 and the rest
	// FetchTimeout bounds the download of a PicContent given as a URL.
	FetchTimeout time.Duration
	// FetchAllow lists networks a PicContent URL may point into although
	// they are loopback, private or link-local (CIDR, e.g. 10.1.0.0/16).
	FetchAllow []string
	// Buckets maps the BucketName of a batch import to a local folder.
	// A BucketName that is an http(s) URL is fetched instead.
	Buckets map[string]string
	// Files is the folder dumps and import reports are written to.
	Files string
}

// MaxBodyBytes is the largest request body the CRS API reads: a base64
// image and a meta at their limits, plus room for the other fields.
func (c CRS) MaxBodyBytes() int64 {
	return int64(c.MaxImageBytes)*4/3 + int64(c.MaxMetaBytes) + 64<<10
}

// Default returns the configuration with the documented defaults: CRS
// images and meta up to 2 MB, names of 1–64 characters, pages of 5 (at
// most 100), up to 10 search results, ±5 minutes of clock skew; Alibaba
// pictures up to 4 MB and 100–4096 pixels a side, fetched within 5 s,
// bodies sent within a minute. The server's own bounds keep one process
// under about a gigabyte: 512 MB of decodes and 128 MB of bodies at once,
// each waited for at most a second; 4096 connections, idle ones closed
// after 30 s.
func Default() Config {
	return Config{
		Server: Server{
			DecodeBytes:       512 << 20,
			BodyBytes:         128 << 20,
			BusyWait:          time.Second,
			ReadHeaderTimeout: 10 * time.Second,
			BodyTimeout:       time.Minute,
			WriteTimeout:      2 * time.Minute,
			RequestTimeout:    90 * time.Second,
			IdleTimeout:       30 * time.Second,
			MaxConns:          4096,
			ShutdownTimeout:   15 * time.Second,
		},
		Images: Images{MaxPixels: 8192 * 8192, MinSide: 16, FeatureTimeout: 10 * time.Second},
		Search: Search{Timeout: 3 * time.Second, MultiIndexRows: 1 << 16},
		CRS: CRS{
			MaxImageBytes:   2 << 20,
			MaxMetaBytes:    2 << 20,
			MaxNameLength:   64,
			DefaultPageSize: 5,
			MaxPageSize:     100,
			MaxExpectNumber: 10,
			TimestampSkew:   5 * time.Minute,
		},
		Alibaba: Alibaba{
			MaxImageBytes: 4 << 20,
			MinSide:       100,
			MaxSide:       4096,
			MaxBodyBytes:  16 << 20,
			FetchTimeout:  5 * time.Second,
			Files:         "files",
		},
	}
}
