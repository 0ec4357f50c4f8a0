// Package importer loads a folder of pictures into a gallery of a running
// pixmatch server, through the CRS API, as `pixmatch import` does.
//
// It talks to the server over HTTP and never opens the data folder: the
// server applies to every picture exactly the checks a CRS client meets
// (the picture decodes, it is no copy of another target, the gallery has
// room), the import works against a server on another machine or a
// cluster behind a load balancer, and it may run while the server serves.
// Every request is a CRS create (POST /targets/) signed with an API key,
// as the CRS server-end SDKs sign theirs, on the gallery of Options.AppID.
//
// The pictures are the files under Options.Dir, recursively, whose names
// end in .jpg, .jpeg or .png (in any case); files and folders whose names
// start with "." are left out. A picture's target name is its file name
// without the extension, made a valid CRS name by Name. Options.Meta may
// name a CSV or JSON lines file giving, per picture, its meta and
// optionally its name, active, size and Alibaba identity and attributes
// (productId, picName, categoryId, intAttr…, strAttr…: the CRS create's
// extension fields, which Alibaba's Filter then searches by; see
// ReadMeta). A picture whose productId and picName another target of the
// gallery already has is refused as the same target (statusCode 403) and
// so counted as present; ReadMeta refuses two pictures of the file with
// the same pair.
//
// Options.Clients requests are in flight at once. Each outcome the server
// acknowledges is appended to the journal (Options.Journal, by default
// Dir/.pixmatch-import) and synced to disk before the next is counted, so
// an interrupted import loses nothing: run it again and the pictures the
// journal records as added are skipped, and the others — failed, or never
// answered — are sent again. The journal records the gallery's appId with
// each outcome: importing the same folder into another gallery starts
// afresh. A picture whose request was sent but whose answer was lost (the
// run was interrupted mid-request) may already be a target; sent again, the
// server refuses it as the same target (statusCode 403: the same name and
// the same file), which the importer counts as present, not as a failure:
// no picture becomes two targets.
//
// A picture similar to a target already in the gallery (statusCode 419) is
// refused and reported as a failure unless Options.AllowSimilar is set,
// which sends allowSimilar "1": the picture is then added beside the
// similar one.
//
// Failures the server answered are reported with their catalogue code
// and message. A request that got no CRS answer (the server unreachable,
// the connection cut) is tried up to three times, as is a statusCode 21
// (the server busy); what still fails is reported with the error, and is
// not journaled, so the next run sends it again.
package importer
