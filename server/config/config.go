// Package config holds every limit of pixmatch — sizes, pixel counts,
// page sizes, rates and timeouts — in one struct, with the documented
// defaults of the services it emulates.
package config

import "time"

// Config is the whole server configuration.
type Config struct {
	Images  Images
	Search  Search
	CRS     CRS
	Alibaba Alibaba
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
	// BodyTimeout is how long a client may take to send its request body.
	BodyTimeout time.Duration
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
// pictures up to 4 MB and 100–4096 pixels a side, fetched within 5 s.
func Default() Config {
	return Config{
		Images: Images{MaxPixels: 8192 * 8192, MinSide: 16, FeatureTimeout: 10 * time.Second},
		Search: Search{Timeout: 3 * time.Second},
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
			BodyTimeout:   time.Minute,
			FetchTimeout:  5 * time.Second,
			Files:         "files",
		},
	}
}
