package apierror

// CRS business statusCodes, in the order of the service's status-code
// table. The messages are the table's, byte for byte (its spelling
// included); the HTTP statuses are pixmatch's choice, since the service
// documents most business errors as "usually" HTTP 200.
var (
	// CRSOK is success. It is not an error, but it is the statusCode and
	// message every successful CRS response carries.
	CRSOK = crs(0, 200, "ok")
	// CRSInvalidAppID: the appId or appKey is missing or malformed.
	CRSInvalidAppID = crs(1, 400, "invalid appId (appKey)")
	// CRSInvalidSignature: the request signature does not match.
	CRSInvalidSignature = crs(2, 401, "invalid signature")
	// CRSInvalidDate: the request timestamp is too far from the server's
	// clock; the client should re-sync using the response's timestamp.
	CRSInvalidDate = crs(3, 400, "invalid date")
	// CRSAppIDNotExist: the appId or appKey is well formed but unknown.
	CRSAppIDNotExist = crs(4, 401, "appId (appKey) not exist")
	// CRSInvalidToken: the Authorization token is malformed or expired.
	CRSInvalidToken = crs(6, 401, "invalid token")
	// CRSInvalidAppKeyToken: the appKey token is not accepted.
	// It shares statusCode 6 with CRSInvalidToken.
	CRSInvalidAppKeyToken = crs(6, 403, "invalid appkey token")
	// CRSNonSDKClient: a database billed by daily active users accepts
	// only the official SDK clients.
	CRSNonSDKClient = crs(7, 403, "non-sdk client for dau databases")
	// CRSDAUIncompatible: databases billed by daily active users refuse
	// the Sense 4.6 and later clients.
	CRSDAUIncompatible = crs(8, 403, "Dau databases are not compatible with sense-4.6+ any more.")
	// CRSTargetNotFound: no target has the requested targetId.
	CRSTargetNotFound = crs(404, 404, "Target not found")
	// CRSNoSuchPath: no endpoint of the API has this path and method. The
	// status-code table's HTTP section words it; it shares statusCode 404
	// with CRSTargetNotFound.
	CRSNoSuchPath = crs(404, 404, "Requested URL interface path does not exist")
	// CRSParameterInvalid: a required parameter is missing or a parameter
	// has an invalid value.
	CRSParameterInvalid = crs(414, 400, "Parameter required not exists or not correct")
	// CRSTooLarge: the image or the meta is larger than allowed.
	CRSTooLarge = crs(422, 413, "The image or meta exceeds its maximum permitted size")
	// CRSAddFailed: a target could not be created (fingerprinting or
	// storage failed).
	CRSAddFailed = crs(417, 500, "fail to add image")
	// CRSSimilarExists: a create or update without allowSimilar would
	// duplicate a similar target already in the database.
	CRSSimilarExists = crs(419, 409, "Cannot update target in database because similar target exists.")
	// CRSDeleteFailed: a target could not be deleted.
	CRSDeleteFailed = crs(420, 500, "Target delete failed")
	// CRSEnableFailed: a target could not be made active or inactive.
	CRSEnableFailed = crs(424, 500, "Target enable error")
	// CRSTargetExists: a target with the same image or id already exists.
	CRSTargetExists = crs(403, 409, "Target already exists")
	// CRSTooManyCandidates: the verification stage got more candidates
	// than it may judge.
	CRSTooManyCandidates = crs(426, 400, "Judge exceeds maxium candidates")
	// CRSImageNotCorrect: the image cannot be decoded or is not a JPEG or
	// PNG.
	CRSImageNotCorrect = crs(427, 400, "Image not correct")
)

// CRS statusCodes of search (17–20) and of the limits of a database or of
// the server (19, 21) on any request.
var (
	// CRSNoResult: the query image matches no target.
	CRSNoResult = crs(17, 404, "No result: there is no matching.")
	// CRSNoTarget: the database has no active target to search.
	CRSNoTarget = crs(18, 500, "No target: the database has no active target.")
	// CRSTimeout: the search did not finish in time, or the client took
	// too long to send its request (HTTP 408, Request Timeout).
	CRSTimeout = crs(19, 408, "Timeout: the request did not finish in time.")
	// CRSRPCError: the target store could not be read during the search.
	CRSRPCError = crs(20, 500, "RPC error: the target store could not be read.")
	// CRSOutOfLimit: the database's daily search limit is reached.
	CRSOutOfLimit = crs(21, 402, "Out of limit: the daily search limit is reached.")
	// CRSOutOfQPS: the client sends more searches per second than allowed.
	// It shares statusCode 21 with CRSOutOfLimit and, as the service
	// documents, is answered with HTTP 200.
	CRSOutOfQPS = crs(21, 200, "Out of QPS: too many search requests per second.")
	// CRSOverloaded: the server cannot take the request now — the memory
	// its pictures or body would need, or its connections, are in use by
	// requests already running. It shares statusCode 21 with the other
	// limits, and is answered with HTTP 503 so that clients retry later,
	// as they do on any 5xx.
	CRSOverloaded = crs(21, 503, "Out of capacity: the server is busy, try again shortly.")
	// CRSOtherError: the search failed for a reason no other code names.
	CRSOtherError = crs(30, 501, "Other error.")
)

// CRS token service (STS, POST /token/v2) statusCodes.
var (
	// CRSTokenAPIKeyInvalid: the API Key is unknown or malformed.
	CRSTokenAPIKeyInvalid = crs(4001011, 401, "API Key invalid")
	// CRSTokenTimestampInvalid: the timestamp is not in milliseconds or is
	// more than five minutes from the server's clock.
	CRSTokenTimestampInvalid = crs(4001012, 400, "Timestamp invalid")
	// CRSTokenSignatureInvalid: the token request's signature does not
	// match.
	CRSTokenSignatureInvalid = crs(4001015, 401, "Signature invalid")
	// CRSTokenAppIDNotAuthorized: the API Key may not act for this appId.
	CRSTokenAppIDNotAuthorized = crs(4001017, 403, "AppId not authorized by this API Key")
	// CRSTokenNotBase64: the Authorization header does not decode as
	// base64.
	CRSTokenNotBase64 = crs(4001018, 401, "Authorization header is not valid base64")
	// CRSTokenDecryptionError: the token decodes but was not issued by
	// this server.
	CRSTokenDecryptionError = crs(4001019, 401, "Decryption error")
	// CRSTokenResourceEmpty: the API Key grants access to no resource.
	CRSTokenResourceEmpty = crs(4001022, 400, "API Key's resource is empty")
	// CRSTokenExpired: the token's lifetime is over.
	CRSTokenExpired = crs(4001024, 401, "Token is expired")
	// CRSTokenGenerateFail: the server could not issue a token.
	CRSTokenGenerateFail = crs(4001025, 500, "Token generate fail")
)

// crsCatalogue lists the CRS entries: the business table, then search,
// then the token service, each in its documentation's order.
var crsCatalogue = []*Error{
	CRSOK,
	CRSInvalidAppID,
	CRSInvalidSignature,
	CRSInvalidDate,
	CRSAppIDNotExist,
	CRSInvalidToken,
	CRSInvalidAppKeyToken,
	CRSNonSDKClient,
	CRSDAUIncompatible,
	CRSTargetNotFound,
	CRSNoSuchPath,
	CRSParameterInvalid,
	CRSTooLarge,
	CRSAddFailed,
	CRSSimilarExists,
	CRSDeleteFailed,
	CRSEnableFailed,
	CRSTargetExists,
	CRSTooManyCandidates,
	CRSImageNotCorrect,

	CRSNoResult,
	CRSNoTarget,
	CRSTimeout,
	CRSRPCError,
	CRSOutOfLimit,
	CRSOutOfQPS,
	CRSOverloaded,
	CRSOtherError,

	CRSTokenAPIKeyInvalid,
	CRSTokenTimestampInvalid,
	CRSTokenSignatureInvalid,
	CRSTokenAppIDNotAuthorized,
	CRSTokenNotBase64,
	CRSTokenDecryptionError,
	CRSTokenResourceEmpty,
	CRSTokenExpired,
	CRSTokenGenerateFail,
}
