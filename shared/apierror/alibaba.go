package apierror

// Alibaba Image Search errors, one per row of the service's error-code
// table, in the table's order. Each variable is named exactly as its code
// and carries the table's HTTP status and error message verbatim; the doc
// comment is the table's description.
var (
	// NoPermission: You do not have the permissions to perform this
	// operation.
	NoPermission = alibaba("NoPermission", 403, "You are not authorized to perform this operation.")

	// BadRequest: The request is invalid.
	BadRequest = alibaba("BadRequest", 400, "The request has invalid parameters.")

	// InstanceStatusError: The instance is unavailable. For example, the
	// instance is unavailable due to an overdue payment.
	InstanceStatusError = alibaba("InstanceStatusError", 409, "Your instance is unavailable.")

	// DeniedRequest: The request was throttled. For more information about
	// the limits on queries per second (QPS), see QPS.
	DeniedRequest = alibaba("DeniedRequest", 403, "Your request was denied due to instance flow control.")

	// InvalidInstance: The instance name is invalid. For more information
	// about how to obtain an instance name, see Create an instance.
	InvalidInstance = alibaba("InvalidInstance", 400, "The specified instance name is invalid.")

	// NoCaretSeperator: The request body is missing the separator ^.
	NoCaretSeperator = alibaba("NoCaretSeperator", 400, "The body content is missing the ^ separator.")

	// EmptyMeta: The Meta field in the request body is empty.
	EmptyMeta = alibaba("EmptyMeta", 400, "The body content has an empty meta field.")

	// InvalidMetaItem: The Meta item is invalid.
	InvalidMetaItem = alibaba("InvalidMetaItem", 400, "The meta field is invalid.")

	// NoPicList: The pic_list parameter is not specified in the request
	// body.
	NoPicList = alibaba("NoPicList", 400, "The body content is missing the pic_list parameter.")

	// InvalidPicList: The pic_list parameter is invalid.
	InvalidPicList = alibaba("InvalidPicList", 400, "The specified pic_list parameter is invalid.")

	// NoSpecifiedPic: The image content is not specified in the request
	// body.
	NoSpecifiedPic = alibaba("NoSpecifiedPic", 400, "The content of an image is not specified in the HTTP POST body.")

	// NoSpecifiedSearchPic: The image to query is not specified.
	NoSpecifiedSearchPic = alibaba("NoSpecifiedSearchPic", 400, "The search image is not specified.")

	// InvalidCategory: The category is invalid. For more information, see
	// Category reference.
	InvalidCategory = alibaba("InvalidCategory", 400, "The specified category is invalid.")

	// OverflowMaxResultNum: The number of returned results exceeds the
	// maximum of 500.
	OverflowMaxResultNum = alibaba("OverflowMaxResultNum", 400, "The specified number of total results exceeds the maximum of 500.")

	// OverflowMaxReturnNum: The number of results returned per request
	// exceeds the maximum of 100.
	OverflowMaxReturnNum = alibaba("OverflowMaxReturnNum", 400, "The specified number of results for each request exceeds the maximum of 100.")

	// InvalidStartParameter: The parameter s is invalid.
	InvalidStartParameter = alibaba("InvalidStartParameter", 400, "The specified parameter s is invalid.")

	// InvalidNumParameter: The parameter n is invalid.
	InvalidNumParameter = alibaba("InvalidNumParameter", 400, "The specified parameter n is invalid.")

	// NoSpecifiedAddPic: The image to add is not specified.
	NoSpecifiedAddPic = alibaba("NoSpecifiedAddPic", 400, "The image to insert is not specified.")

	// NoSpecifiedItemId: The item_id parameter is not specified.
	NoSpecifiedItemId = alibaba("NoSpecifiedItemId", 400, "The item_id parameter is not specified.")

	// InvalidIntAttr: The value of the int_attr field is invalid.
	InvalidIntAttr = alibaba("InvalidIntAttr", 400, "The specified int_attr field is invalid.")

	// UnsupportedPicFormat: The image format is not supported.
	//
	// For more information about image formats, see Image requirements.
	UnsupportedPicFormat = alibaba("UnsupportedPicFormat", 400, "The specified image format is invalid.")

	// InvalidFilterClause: The filter condition is invalid. For more
	// information about how to set filter conditions, see Filter by
	// condition.
	InvalidFilterClause = alibaba("InvalidFilterClause", 400, "The specified filtering condition is invalid.")

	// InstanceOverQuota: The data volume of the instance exceeds the quota.
	InstanceOverQuota = alibaba("InstanceOverQuota", 400, "The number of items exceeds the limit.")

	// IncorrectOrientation: The image contains incorrect rotation
	// information.
	IncorrectOrientation = alibaba("IncorrectOrientation", 400, "The image contains incorrect rotation flags in the meta data.")

	// UnsupportedPicPixels: The image resolution is not supported. For more
	// information about image requirements, see Image requirements.
	UnsupportedPicPixels = alibaba("UnsupportedPicPixels", 400, "The specified pixels is not supported.")

	// SearchTimeout: The search engine timed out.
	SearchTimeout = alibaba("SearchTimeout", 400, "The request is timed out.")

	// PicNotExist: The specified image for the search does not exist in the
	// instance.
	PicNotExist = alibaba("PicNotExist", 400, "The search picture does not exist.")

	// NoSpecifiedProductId: The ProductId parameter is not specified. For
	// more information about how to import images, see Add an image.
	NoSpecifiedProductId = alibaba("NoSpecifiedProductId", 400, "The parameter ProductId no specified.")

	// NoSpecifiedPicName: The PicName parameter is not specified.
	NoSpecifiedPicName = alibaba("NoSpecifiedPicName", 400, "The parameter PicName no specified.")

	// NoSpecifiedPicContent: The PicContent parameter is not specified.
	NoSpecifiedPicContent = alibaba("NoSpecifiedPicContent", 400, "The parameter PicContent no specified.")

	// InvalidType: The Type parameter is invalid.
	InvalidType = alibaba("InvalidType", 400, "The specified parameter Type is not valid.")

	// InvalidProductId: The ProductId parameter is invalid.
	InvalidProductId = alibaba("InvalidProductId", 400, "The specified parameter ProductId is not valid.")

	// InvalidPicName: The PicName parameter is invalid.
	InvalidPicName = alibaba("InvalidPicName", 400, "The specified parameter PicName is not valid.")

	// InvalidStrAttr: The StrAttr parameter is invalid.
	InvalidStrAttr = alibaba("InvalidStrAttr", 400, "The specified parameter StrAttr is not valid.")

	// InvalidCustomContent: The CustomContent parameter is invalid.
	InvalidCustomContent = alibaba("InvalidCustomContent", 400, "The specified parameter CustomContent is not valid.")

	// InvalidPicContent: The image size exceeds 4 MB.
	InvalidPicContent = alibaba("InvalidPicContent", 400, "The specified parameter PicContent length greater than 4 * 1024 * 1024.")

	// TimeoutForTransferImage: The image transfer timed out after 5 seconds.
	TimeoutForTransferImage = alibaba("TimeoutForTransferImage", 400, "Timeout after 5 seconds waiting for images transfer to complete.")

	// InvalidInstanceName: The instance name parameter is not specified.
	InvalidInstanceName = alibaba("InvalidInstanceName", 400, "The parameter instanceName is not specified.")

	// InvalidRequestId: The requestId parameter is not specified.
	InvalidRequestId = alibaba("InvalidRequestId", 400, "The parameter requestId is not specified.")

	// InvalidRequestIdTooLarge: The RequestId parameter is too long.
	InvalidRequestIdTooLarge = alibaba("InvalidRequestIdTooLarge", 400, "The parameter requestId is too large.")

	// InvalidRegion: The specified region is invalid.
	InvalidRegion = alibaba("InvalidRegion", 400, "The specific region is illegal.")

	// InvalidPicUrl: The URL is invalid.
	InvalidPicUrl = alibaba("InvalidPicUrl", 400, "The search picture does not exist at the specific url.")

	// UnsupportedInstanceType: The instance type is not supported.
	UnsupportedInstanceType = alibaba("UnsupportedInstanceType", 400, "The instance type is not supported.")

	// UnsupportedOperationType: The operation type is not supported.
	UnsupportedOperationType = alibaba("UnsupportedOperationType", 400, "The specified action is not supported.")
)

// Alibaba Image Search system-level errors: the second part of the table.
var (
	// NetworkException: A system network error occurred.
	NetworkException = alibaba("NetworkException", 500, "A network error occurred.")

	// RequestTimeout: The request timed out.
	RequestTimeout = alibaba("RequestTimeout", 500, "The request is timeout.")

	// ExtractFeatureTimeout: The feature extraction timed out.
	ExtractFeatureTimeout = alibaba("ExtractFeatureTimeout", 500, "The request was timed out while extracting features.")

	// AccessEngineFailed: Failed to access the search engine.
	AccessEngineFailed = alibaba("AccessEngineFailed", 500, "An error occurred while accessing the search engine.")

	// InternalOssError: An internal OAS error occurred.
	InternalOssError = alibaba("InternalOssError", 500, "An internal OAS error occurred.")

	// InternalSwiftError: An internal SWIFT error occurred.
	InternalSwiftError = alibaba("InternalSwiftError", 500, "An internal SWIFT error occurred.")

	// InternalTableStoreError: An internal Table Store error occurred.
	InternalTableStoreError = alibaba("InternalTableStoreError", 500, "An internal Table Store error occurred.")

	// InternalError: An internal error occurred.
	InternalError = alibaba("InternalError", 500, "An internal server error occurred.")
)

// Alibaba Cloud common errors: answered by the gateway in front of every
// Alibaba Cloud API, Image Search included, and so listed in no product's
// error table. Each carries the code, HTTP status and message the gateway
// sends.
var (
	// SignatureNonceUsed: the request's signature nonce (SignatureNonce,
	// or the x-acs-signature-nonce header) was used already by the same
	// AccessKey within the time a request's date is accepted: the request
	// is a replay, or a client reused a nonce.
	SignatureNonceUsed = alibaba("SignatureNonceUsed", 400, "Specified signature nonce was used already.")
)

// alibabaCommon lists the Alibaba common errors.
var alibabaCommon = []*Error{
	SignatureNonceUsed,
}

// alibabaCatalogue lists the Alibaba entries in table order.
var alibabaCatalogue = []*Error{
	NoPermission,
	BadRequest,
	InstanceStatusError,
	DeniedRequest,
	InvalidInstance,
	NoCaretSeperator,
	EmptyMeta,
	InvalidMetaItem,
	NoPicList,
	InvalidPicList,
	NoSpecifiedPic,
	NoSpecifiedSearchPic,
	InvalidCategory,
	OverflowMaxResultNum,
	OverflowMaxReturnNum,
	InvalidStartParameter,
	InvalidNumParameter,
	NoSpecifiedAddPic,
	NoSpecifiedItemId,
	InvalidIntAttr,
	UnsupportedPicFormat,
	InvalidFilterClause,
	InstanceOverQuota,
	IncorrectOrientation,
	UnsupportedPicPixels,
	SearchTimeout,
	PicNotExist,
	NoSpecifiedProductId,
	NoSpecifiedPicName,
	NoSpecifiedPicContent,
	InvalidType,
	InvalidProductId,
	InvalidPicName,
	InvalidStrAttr,
	InvalidCustomContent,
	InvalidPicContent,
	TimeoutForTransferImage,
	InvalidInstanceName,
	InvalidRequestId,
	InvalidRequestIdTooLarge,
	InvalidRegion,
	InvalidPicUrl,
	UnsupportedInstanceType,
	UnsupportedOperationType,
	NetworkException,
	RequestTimeout,
	ExtractFeatureTimeout,
	AccessEngineFailed,
	InternalOssError,
	InternalSwiftError,
	InternalTableStoreError,
	InternalError,
}
