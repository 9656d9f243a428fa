package sigma

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestAggregation: count() by a field over a timeframe, and count(field)
// of distinct values, on CloudTrail records in a real cache.
func TestAggregation(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	var b strings.Builder
	rec := func(i int, at time.Duration, ip, user string) {
		fmt.Fprintf(&b, `{"eventVersion":"1.08","eventID":"e%d","eventTime":%q,"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","sourceIPAddress":%q,"userIdentity":{"type":"IAMUser"},"userAgent":%q,"errorMessage":"Failed authentication"}`+"\n",
			i, t0.Add(at).Format(time.RFC3339), ip, user)
	}
	// 10.0.0.1: 3 failures in 4 minutes (users a, b, c); 10.0.0.2: 3 spread over 3 hours (user a)
	rec(1, 0, "10.0.0.1", "a")
	rec(2, 2*time.Minute, "10.0.0.1", "b")
	rec(3, 4*time.Minute, "10.0.0.1", "c")
	rec(4, 0, "10.0.0.2", "a")
	rec(5, time.Hour, "10.0.0.2", "a")
	rec(6, 3*time.Hour, "10.0.0.2", "a")
	db := newCache(t, map[string][]byte{"ct.ndjson": []byte(b.String())})
	for _, c := range []struct {
		cond, timeframe string
		want            []string // group: count
	}{
		{"s | count() by sourceIPAddress > 2", "10m", []string{"sourceIPAddress=10.0.0.1: 3"}},
		{"s | count() by sourceIPAddress > 2", "", []string{"sourceIPAddress=10.0.0.1: 3", "sourceIPAddress=10.0.0.2: 3"}},
		{"s | count() by sourceIPAddress >= 3", "4h", []string{"sourceIPAddress=10.0.0.1: 3", "sourceIPAddress=10.0.0.2: 3"}},
		{"s | count(userName) by sourceIPAddress > 1", "", nil}, // userName is no field of the record
		{"s | count(userAgent) by sourceIPAddress > 1", "", []string{"sourceIPAddress=10.0.0.1: 3"}},
		{"s | count(userAgent) by sourceIPAddress > 1", "3m", []string{"sourceIPAddress=10.0.0.1: 2"}},
		{"s | count() > 5", "", []string{": 6"}},
		{"s | count() > 6", "", nil},
	} {
		tf := ""
		if c.timeframe != "" {
			tf = "  timeframe: " + c.timeframe + "\n"
		}
		rs := Parse([]byte("title: spray\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  s:\n    eventName: ConsoleLogin\n    errorMessage: Failed authentication\n"+tf+"  condition: "+c.cond+"\n"), "a.yml")
		if rs[0].Err != nil {
			t.Fatalf("%s: %v", c.cond, rs[0].Err)
		}
		if !rs[0].Usable() {
			t.Fatalf("%s: not usable", c.cond)
		}
		for _, opt := range []Options{{}, {NoPushdown: true}} {
			_, res, _ := matches(t, db, rs, opt)
			var got []string
			for _, g := range res[0].Groups {
				got = append(got, fmt.Sprintf("%s: %d", g.Key, g.Count))
				if len(g.Events) == 0 || g.First.After(g.Last) {
					t.Errorf("%s: group %+v", c.cond, g)
				}
			}
			if strings.Join(got, "; ") != strings.Join(c.want, "; ") {
				t.Errorf("%s within %q (pushdown %v): %v, want %v", c.cond, c.timeframe, !opt.NoPushdown, got, c.want)
			}
		}
	}
}

// TestAggregationDottedField: sigma-go's grammar takes no dot in an
// aggregation's field names: the rule is an error, not a silent miss.
func TestAggregationDottedField(t *testing.T) {
	rs := Parse([]byte("title: x\nlogsource: {product: aws}\ndetection:\n  s:\n    eventName: A\n  condition: s | count() by userIdentity.arn > 1\n"), "a.yml")
	if rs[0].Err == nil || !strings.Contains(rs[0].Err.Error(), "invalid token") {
		t.Errorf("error %v", rs[0].Err)
	}
}
