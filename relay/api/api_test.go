package api

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
)

func TestErrorHandler(t *testing.T) {
	e := echo.New()
	e.HTTPErrorHandler = ErrorHandler(slog.New(slog.NewTextHandler(io.Discard, nil)))
	e.GET("/api", func(c echo.Context) error {
		return Errorf(http.StatusRequestEntityTooLarge, CodeTooLarge, "over %d", 10)
	})
	e.GET("/plain", func(c echo.Context) error { return errors.New("secret detail") })
	cases := []struct {
		path   string
		status int
		code   string
	}{
		{"/api", 413, CodeTooLarge},
		{"/plain", 500, CodeInternal},
		{"/missing", 404, CodeNotFound},
	}
	for _, c := range cases {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, c.path, nil))
		var b Body
		if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil || b.Error == nil {
			t.Fatalf("%s: body %q: %v", c.path, rec.Body.String(), err)
		}
		if rec.Code != c.status || b.Error.Code != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.path, rec.Code, b.Error.Code, c.status, c.code)
		}
		if b.Error.Message == "secret detail" {
			t.Errorf("%s: internal error detail leaked", c.path)
		}
	}
}
