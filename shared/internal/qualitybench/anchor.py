"""The anchor recogniser of the quality benchmark: OpenCV ORB features, one
FLANN-LSH index over the gallery's descriptors, a vote per gallery picture,
and the best-voted pictures verified with a RANSAC homography
(shared/reference/camera-anchors.md, section 1).

Run by the Go harness (anchor.go) with Debian's /usr/bin/python3 and
python3-opencv. It reads one JSON request a line on standard input and
answers each with one JSON line on standard output:

  {"op": "enrol", "ids": [...], "paths": [...]}
      -> {"pictures": n, "features": n, "seconds": s}
      Extracts the gallery pictures' features and builds the index. Once.
  {"op": "query", "paths": [...]}
      -> {"results": [[hit, ...], ...], "seconds": s}
      One list of hits per picture, best first: the top-voted gallery
      pictures, each {"id", "votes", "inliers", "corners"}; corners are the
      gallery picture's four corners (top-left, top-right, bottom-right,
      bottom-left) in the query's pixels, or null without a homography.
  anything wrong -> {"error": "..."}

Pictures are lossless files (PGM) of grey levels. Each is scaled so that
its longer side is --side pixels before its features are extracted; the
corners are given in the file's own pixels. Acceptance (the inlier count
that makes a match) is the caller's: the script reports the counts.
"""

import argparse
import json
import sys
import time

import cv2
import numpy as np

FLANN_INDEX_LSH = 6


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--features", type=int, default=1000, help="ORB features per picture")
    p.add_argument("--side", type=int, default=640, help="longer side the pictures are scaled to")
    p.add_argument("--tables", type=int, default=8, help="LSH hash tables")
    p.add_argument("--key", type=int, default=24, help="LSH key size in bits")
    p.add_argument("--probe", type=int, default=1, help="LSH multi-probe level")
    p.add_argument("--ratio", type=float, default=0.8, help="Lowe's ratio for 2-NN matches")
    p.add_argument("--top", type=int, default=5, help="best-voted pictures verified")
    p.add_argument("--ransac", type=float, default=5.0, help="RANSAC reprojection threshold, pixels")
    return p.parse_args()


class Anchor:
    def __init__(self, args):
        self.args = args
        self.orb = cv2.ORB_create(nfeatures=args.features)
        self.ids = []
        self.descs = []  # per gallery picture: uint8 rows, or None
        self.points = []  # per gallery picture: float32 (n, 2) in scaled pixels
        self.frames = []  # per gallery picture: (scale, width, height) of the file
        self.flann = None

    def features(self, path):
        """Keypoint positions (scaled pixels), descriptors, the scale and the file's size."""
        img = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
        if img is None:
            raise ValueError("cannot read " + path)
        h, w = img.shape
        scale = self.args.side / max(w, h)
        if scale != 1:
            interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
            img = cv2.resize(img, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=interp)
        kps, desc = self.orb.detectAndCompute(img, None)
        pts = np.float32([k.pt for k in kps]).reshape(-1, 2)
        return pts, desc, (scale, w, h)

    def enrol(self, ids, paths):
        if self.flann is not None:
            raise ValueError("enrol twice")
        if len(ids) != len(paths):
            raise ValueError("ids and paths differ in length")
        start = time.perf_counter()
        kept = []
        for gid, path in zip(ids, paths):
            pts, desc, frame = self.features(path)
            self.ids.append(gid)
            self.points.append(pts)
            self.descs.append(desc)
            self.frames.append(frame)
            if desc is not None and len(desc) >= 2:
                kept.append(len(self.ids) - 1)
        # The index holds the pictures with descriptors; imgIdx counts
        # among them, so self.indexed maps it back.
        self.indexed = kept
        self.flann = cv2.FlannBasedMatcher(
            dict(algorithm=FLANN_INDEX_LSH, table_number=self.args.tables,
                 key_size=self.args.key, multi_probe_level=self.args.probe),
            dict(checks=50))
        self.flann.add([self.descs[i] for i in kept])
        self.flann.train()
        self.bf = cv2.BFMatcher(cv2.NORM_HAMMING)
        features = sum(len(self.descs[i]) for i in kept)
        return {"pictures": len(self.ids), "features": features, "seconds": time.perf_counter() - start}

    def good(self, pairs):
        """The 2-NN matches that pass the ratio test."""
        r = self.args.ratio
        return [p[0] for p in pairs if len(p) == 2 and p[0].distance < r * p[1].distance]

    def query(self, path):
        pts, desc, (qscale, _, _) = self.features(path)
        if desc is None or len(desc) < 2:
            return []
        votes = {}
        for m in self.good(self.flann.knnMatch(desc, k=2)):
            g = self.indexed[m.imgIdx]
            votes[g] = votes.get(g, 0) + 1
        # The best-voted first; ties by gallery order, so runs agree.
        ranked = sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))[: self.args.top]
        hits = [self.verify(g, v, pts, desc, qscale) for g, v in ranked]
        hits.sort(key=lambda h: (-h["inliers"], -h["votes"]))
        return hits

    def verify(self, g, votes, qpts, qdesc, qscale):
        hit = {"id": self.ids[g], "votes": votes, "inliers": 0, "corners": None}
        good = self.good(self.bf.knnMatch(qdesc, self.descs[g], k=2))
        if len(good) < 4:
            return hit
        src = self.points[g][[m.trainIdx for m in good]].reshape(-1, 1, 2)
        dst = qpts[[m.queryIdx for m in good]].reshape(-1, 1, 2)
        H, mask = cv2.findHomography(src, dst, cv2.RANSAC, self.args.ransac)
        if H is None or mask is None:
            return hit
        hit["inliers"] = int(mask.sum())
        gscale, w, h = self.frames[g]
        outline = np.float32([[0, 0], [w, 0], [w, h], [0, h]]).reshape(-1, 1, 2) * gscale
        corners = cv2.perspectiveTransform(outline, H).reshape(-1, 2) / qscale
        if np.all(np.isfinite(corners)):
            hit["corners"] = [[float(x), float(y)] for x, y in corners]
        return hit


def serve(anchor, lines, out):
    for line in lines:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            op = req.get("op")
            if op == "enrol":
                answer = anchor.enrol(req["ids"], req["paths"])
            elif op == "query":
                if anchor.flann is None:
                    raise ValueError("query before enrol")
                start = time.perf_counter()
                results = [anchor.query(p) for p in req["paths"]]
                answer = {"results": results, "seconds": time.perf_counter() - start}
            else:
                raise ValueError("unknown op %r" % op)
        except Exception as e:  # every failure is an answer, not a crash
            answer = {"error": "%s: %s" % (type(e).__name__, e)}
        out.write(json.dumps(answer) + "\n")
        out.flush()


def main():
    args = parse_args()
    cv2.setNumThreads(1)  # one core a process: the harness decides how many run
    serve(Anchor(args), sys.stdin, sys.stdout)


if __name__ == "__main__":
    main()
