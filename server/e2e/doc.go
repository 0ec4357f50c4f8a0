// Package e2e checks pixmatch's web app in a real browser: Chromium,
// driven by chromedp, loads the app from a real pixmatch server on
// loopback (SQLite, every API, the WebAssembly module built for the test
// run) and is used as a person would use it — connecting, adding and
// editing targets, recognising uploaded photos and camera frames, going
// offline. The benchmarks time the browser module inside the page.
//
// The package has tests and benchmarks only. They need Chromium: the
// binary named by PIXMATCH_CHROMIUM, else /usr/bin/chromium (Debian's
// package: apt-get install -y chromium). A failing test saves a
// screenshot of the page to failures/<TestName>.png beside this file.
package e2e
