package export_test

import (
	"bytes"
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/language"

	"github.com/smartbooqing/steward/export"
)

func TestEncoderIsSafeForConcurrentUse(t *testing.T) {
	enc, err := export.NewEncoder(&export.Options{Language: language.Dutch, Labels: hostLabels(t)})
	require.NoError(t, err)
	want := map[export.Format]string{}
	for _, f := range export.Formats() {
		if f == export.XLSX {
			continue // its zip bytes carry no timestamps but are excelize's to order
		}
		var buf bytes.Buffer
		_, err := enc.Encode(context.Background(), &buf, f, invoices, all(goldenRecords()))
		require.NoError(t, err)
		want[f] = buf.String()
	}
	var wg sync.WaitGroup
	got := make([]map[export.Format]string, 4)
	errs := make([]error, 4)
	for i := range got {
		got[i] = map[export.Format]string{}
		wg.Go(func() {
			for f := range want {
				var buf bytes.Buffer
				if _, err := enc.Encode(context.Background(), &buf, f, invoices, all(goldenRecords())); err != nil {
					errs[i] = err
					return
				}
				got[i][f] = buf.String()
			}
		})
	}
	wg.Wait()
	for i := range got {
		require.NoError(t, errs[i])
		assert.Equal(t, want, got[i], "one encoder used from many goroutines writes what it writes alone")
	}
}
