package alibaba

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/pixmatch/pixmatch/server/gallery"
	"github.com/pixmatch/pixmatch/shared/apierror"
)

// serviceTypeGeneric is Detail's ServiceType of a generic image search
// instance, which every pixmatch gallery is.
const serviceTypeGeneric = 1

// detail describes the instance.
func (h *Handler) detail(k *call) error {
	n, err := h.svc.Targets.CountContext(k.ctx(), k.gallery.ID)
	if err != nil {
		return apierror.AccessEngineFailed.Because(err)
	}
	g := k.gallery
	capacity := 0 // unlimited
	if g.Capacity > 0 {
		capacity = (g.Capacity + 9999) / 10000 // in units of 10,000 pictures
	}
	return k.ok(struct {
		RequestID string       `json:"RequestId"`
		Success   bool         `json:"Success"`
		Instance  instanceInfo `json:"Instance"`
	}{k.requestID, true, instanceInfo{
		Name: g.Name, Region: regionOf(k), ServiceType: serviceTypeGeneric, Capacity: capacity,
		Qps: g.QPS, TotalCount: int64(n), UtcCreate: strconv.FormatInt(g.Created, 10),
	}})
}

type instanceInfo struct {
	Name          string `json:"Name"`
	Region        string `json:"Region"`
	ServiceType   int    `json:"ServiceType"`
	Capacity      int    `json:"Capacity"`
	Qps           int    `json:"Qps"`
	TotalCount    int64  `json:"TotalCount"`
	UtcCreate     string `json:"UtcCreate"`
	UtcExpireTime string `json:"UtcExpireTime"`
}

// regionOf is the region the client addressed, from its signature scope
// or parameters; "local" when it named none.
func regionOf(k *call) string {
	if r, ok := k.get("RegionId"); ok && r != "" {
		return r
	}
	return "local"
}

// dumpMeta starts writing the metadata of every picture to a file.
func (h *Handler) dumpMeta(k *call) error {
	t, err := h.startDump(k.ctx(), k.gallery)
	if err != nil {
		return taskError(err)
	}
	return k.ok(struct {
		RequestID string `json:"RequestId"`
		Success   bool   `json:"Success"`
		Data      struct {
			ID     string `json:"Id"`
			Status string `json:"DumpMetaStatus"`
		} `json:"Data"`
	}{k.requestID, true, struct {
		ID     string `json:"Id"`
		Status string `json:"DumpMetaStatus"`
	}{strconv.FormatInt(t.ID, 10), t.Status}})
}

// taskError maps why a task could not start.
func taskError(err error) error {
	if _, ok := errors.AsType[*apierror.Error](err); ok {
		return err
	}
	return apierror.InternalOssError.Because(err)
}

// page reads PageNumber (from 1) and PageSize (1–100, default 10) and an
// optional Id.
func (k *call) page() (num, size int, id int64, err error) {
	num, size = 1, 10
	read := func(name string, lo, hi int, dst *int) error {
		v, ok := k.get(name)
		if !ok || v == "" {
			return nil
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < lo || n > hi {
			return apierror.BadRequest.Because(fmt.Errorf("%s %q is not in %d–%d", name, v, lo, hi))
		}
		*dst = n
		return nil
	}
	if err = read("PageNumber", 1, 1<<20, &num); err != nil {
		return
	}
	if err = read("PageSize", 1, 100, &size); err != nil {
		return
	}
	if v, ok := k.get("Id"); ok && v != "" {
		if id, err = strconv.ParseInt(v, 10, 64); err != nil || id < 1 {
			return 0, 0, 0, apierror.BadRequest.Because(fmt.Errorf("Id %q is not a task ID", v))
		}
	}
	return num, size, id, nil
}

type dumpEntry struct {
	ID          int64  `json:"Id"`
	Status      string `json:"Status"`
	Code        string `json:"Code"`
	Msg         string `json:"Msg"`
	MetaURL     string `json:"MetaUrl"`
	UtcCreate   string `json:"UtcCreate"`
	UtcModified int64  `json:"UtcModified"`
}

// dumpMetaList lists the dumps, newest first.
func (h *Handler) dumpMetaList(k *call) error {
	num, size, id, err := k.page()
	if err != nil {
		return err
	}
	tasks, total, err := h.listTasks(k.ctx(), k.gallery.ID, gallery.TaskDump, num, size, id)
	if err != nil {
		return apierror.InternalOssError.Because(err)
	}
	list := make([]dumpEntry, len(tasks))
	for i, t := range tasks {
		list[i] = dumpEntry{ID: t.ID, Status: t.Status, Code: t.Code, Msg: t.Message,
			UtcCreate: strconv.FormatInt(t.Created, 10), UtcModified: t.Modified}
		if t.Status == statusSuccess { // a failed dump's file is incomplete
			list[i].MetaURL = h.fileURL(t, baseURL(k.c))
		}
	}
	var body struct {
		RequestID string `json:"RequestId"`
		Data      struct {
			PageNumber   int         `json:"PageNumber"`
			PageSize     int         `json:"PageSize"`
			TotalCount   int64       `json:"TotalCount"`
			DumpMetaList []dumpEntry `json:"DumpMetaList"`
		} `json:"Data"`
	}
	body.RequestID = k.requestID
	body.Data.PageNumber, body.Data.PageSize, body.Data.TotalCount, body.Data.DumpMetaList = num, size, int64(total), list
	return k.ok(body)
}

// increaseInstance starts a batch import from a folder's increment.meta.
func (h *Handler) increaseInstance(k *call) error {
	bucket, _ := k.get("BucketName")
	path, _ := k.get("Path")
	callback, _ := k.get("CallbackAddress")
	switch {
	case bucket == "":
		return apierror.BadRequest.Because(errors.New("no BucketName"))
	case !strings.HasPrefix(path, "/") || (len(path) > 1 && strings.HasSuffix(path, "/")):
		return apierror.BadRequest.Because(fmt.Errorf("Path %q must start with / and not end with /", path))
	}
	t, err := h.startImport(k.ctx(), k.gallery, bucket, path, callback, baseURL(k.c))
	if err != nil {
		return taskError(err)
	}
	return k.ok(struct {
		RequestID string `json:"RequestId"`
		Success   bool   `json:"Success"`
		Data      struct {
			ID     string `json:"Id"`
			Status string `json:"IncrementStatus"`
		} `json:"Data"`
	}{RequestID: k.requestID, Success: true, Data: struct {
		ID     string `json:"Id"`
		Status string `json:"IncrementStatus"`
	}{strconv.FormatInt(t.ID, 10), t.Status}})
}

type increment struct {
	ID              int64  `json:"Id"`
	BucketName      string `json:"BucketName"`
	Path            string `json:"Path"`
	CallbackAddress string `json:"CallbackAddress"`
	Status          string `json:"Status"`
	Code            string `json:"Code"`
	Msg             string `json:"Msg"`
	ErrorURL        string `json:"ErrorUrl"`
	UtcCreate       string `json:"UtcCreate"`
	UtcModified     int64  `json:"UtcModified"`
}

// increaseList lists the batch imports, newest first.
func (h *Handler) increaseList(k *call) error {
	num, size, id, err := k.page()
	if err != nil {
		return err
	}
	tasks, total, err := h.listTasks(k.ctx(), k.gallery.ID, gallery.TaskImport, num, size, id)
	if err != nil {
		return apierror.InternalOssError.Because(err)
	}
	list := make([]increment, len(tasks))
	for i, t := range tasks {
		list[i] = increment{ID: t.ID, BucketName: t.Bucket, Path: t.Path, CallbackAddress: t.Callback,
			Status: t.Status, Code: t.Code, Msg: t.Message,
			UtcCreate: strconv.FormatInt(t.Created, 10), UtcModified: t.Modified}
		if t.Result != "" {
			list[i].ErrorURL = h.fileURL(t, baseURL(k.c))
		}
	}
	var body struct {
		RequestID string `json:"RequestId"`
		Data      struct {
			Increments struct {
				Instance []increment `json:"Instance"`
			} `json:"Increments"`
			PageNumber int   `json:"PageNumber"`
			PageSize   int   `json:"PageSize"`
			TotalCount int64 `json:"TotalCount"`
		} `json:"Data"`
	}
	body.RequestID = k.requestID
	body.Data.Increments.Instance = list
	body.Data.PageNumber, body.Data.PageSize, body.Data.TotalCount = num, size, int64(total)
	return k.ok(body)
}
