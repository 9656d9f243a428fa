package sanitize

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestString(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"ascii", "alice@example.com", "alice@example.com"},
		{"unicode", "Zoë 東京 🚀 naïve", "Zoë 東京 🚀 naïve"},
		{"backslash kept", `C:\Users\x1b`, `C:\Users\x1b`},
		{"replacement char kept", "a\uFFFDb", "a\uFFFDb"},
		{"nbsp kept", "a\u00a0b", "a\u00a0b"},
		{"tab", "a\tb", `a\tb`},
		{"newline", "a\nb", `a\nb`},
		{"crlf", "a\r\nb", `a\r\nb`},
		{"cr", "evil\rgood", `evil\rgood`},
		{"nul", "a\x00b", `a\x00b`},
		{"bel", "a\ab", `a\x07b`},
		{"backspace", "ab\b\bcd", `ab\x08\x08cd`},
		{"del", "a\x7fb", `a\x7fb`},
		{"esc csi", "\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`},
		{"clear screen", "\x1b[2J\x1b[H", `\x1b[2J\x1b[H`},
		{"osc 8", "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\", `\x1b]8;;https://evil.example/\x1b\click\x1b]8;;\x1b\`},
		{"osc 52", "\x1b]52;c;cm0gLXJmIH4=\x07", `\x1b]52;c;cm0gLXJmIH4=\x07`},
		{"title", "\x1b]0;pwned\x07", `\x1b]0;pwned\x07`},
		{"dcs", "\x1bP1$r0m\x1b\\", `\x1bP1$r0m\x1b\`},
		{"c1 csi", "\u009b31mred", `\u009b31mred`},
		{"c1 osc", "\u009d0;t\u009c", `\u009d0;t\u009c`},
		{"nel", "a\u0085b", `a\u0085b`},
		{"rlo", "user\u202Egpj.exe", `user\u202egpj.exe`},
		{"lro pdf", "\u202Dx\u202C", `\u202dx\u202c`},
		{"isolates", "\u2066\u2067\u2068\u2069", `\u2066\u2067\u2068\u2069`},
		{"lrm rlm", "\u200E\u200F", `\u200e\u200f`},
		{"zero width", "ad\u200Bmin\u200C\u200D", `ad\u200bmin\u200c\u200d`},
		{"word joiner", "a\u2060b", `a\u2060b`},
		{"bom", "\uFEFFid", `\ufeffid`},
		{"alm", "\u061C", `\u061c`},
		{"soft hyphen", "a\u00ADb", `a\u00adb`},
		{"line separator", "a\u2028b\u2029", `a\u2028b\u2029`},
		{"tag char", "x\U000E0041", `x\U000e0041`},
		{"invalid byte", "a\xffb", `a\xffb`},
		{"lone c1 byte", "a\x9b31m", `a\x9b31m`},
		{"truncated utf8", "\xe6\x9d", `\xe6\x9d`},
		{"surrogate", "\xed\xa0\x80", `\xed\xa0\x80`},
		{"overlong", "\xc0\xaf", `\xc0\xaf`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := String(tt.in)
			if got != tt.want {
				t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
			}
			assertSafe(t, got, false)
			if again := String(got); again != got {
				t.Errorf("String is not idempotent: %q -> %q", got, again)
			}
		})
	}
}

func TestMultiline(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"clean", "line 1\n\tline 2\n", "line 1\n\tline 2\n"},
		{"crlf", "a\r\nb\r\n", "a\nb\n"},
		{"lone cr", "a\rb", `a\rb`},
		{"cr at end", "a\r", `a\r`},
		{"cr cr lf", "a\r\r\nb", "a\\r\nb"},
		{"esc", "x\n\x1b[1A\x1b[2Kforged", "x\n\\x1b[1A\\x1b[2Kforged"},
		{"vt ff", "a\vb\fc", `a\x0bb\x0cc`},
		{"bidi", "a\n\u202Eb", "a\n\\u202eb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Multiline(tt.in)
			if got != tt.want {
				t.Errorf("Multiline(%q) = %q, want %q", tt.in, got, tt.want)
			}
			assertSafe(t, got, true)
		})
	}
}

// TestEveryRune checks every code point (and every single byte) one by one.
func TestEveryRune(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if r >= 0xd800 && r <= 0xdfff {
			continue
		}
		s := "a" + string(r) + "b"
		got := String(s)
		assertSafe(t, got, false)
		wantClean := r >= 0x20 && r != 0x7f && !(r >= 0x80 && r < 0xa0) &&
			!unicode.Is(unicode.Cf, r) && r != 0x2028 && r != 0x2029
		if wantClean != (got == s) {
			t.Fatalf("String(%q) = %q: clean=%v, want clean=%v", s, got, got == s, wantClean)
		}
		if IsClean(s) != wantClean || Safe(r) != wantClean {
			t.Fatalf("IsClean/Safe(%U) disagree with String", r)
		}
	}
	for c := 0; c < 256; c++ {
		s := string([]byte{c2b(c)})
		assertSafe(t, String(s), false)
		assertSafe(t, Multiline(s), true)
	}
}

func c2b(c int) byte { return byte(c) }

func TestCleanDoesNotAllocate(t *testing.T) {
	s := strings.Repeat("alice@example.com Zoë 東京 ", 10)
	if n := testing.AllocsPerRun(100, func() { _ = String(s) }); n != 0 {
		t.Errorf("String(clean) allocates %v times", n)
	}
	if n := testing.AllocsPerRun(100, func() { _ = Multiline(s + "\n\t") }); n > 1 {
		// the concatenation itself allocates once
		t.Errorf("Multiline(clean) allocates %v times", n)
	}
}

// assertSafe fails when s holds anything a terminal could act on.
func assertSafe(t *testing.T, s string, multiline bool) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Fatalf("output %q is not valid UTF-8", s)
	}
	for _, r := range s {
		if multiline && (r == '\n' || r == '\t') {
			continue
		}
		if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || unicode.Is(unicode.Cf, r) || r == 0x2028 || r == 0x2029 {
			t.Fatalf("output %q holds forbidden rune %U", s, r)
		}
	}
}

func FuzzString(f *testing.F) {
	for _, s := range []string{
		"", "plain", "\x1b[31mred", "\x1b]52;c;AAAA\x07", "\u009b2J", "\u202Eabc", "a\r\nb", "\xff\xfe", "\t\n\v",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := String(s)
		assertSafe(t, out, false)
		if IsClean(s) != (out == s) {
			t.Fatalf("IsClean(%q) = %v but String changed it to %q", s, IsClean(s), out)
		}
		if String(out) != out {
			t.Fatalf("String(String(%q)) changed again", s)
		}
		ml := Multiline(s)
		assertSafe(t, ml, true)
		if strings.Count(ml, "\n") != strings.Count(s, "\n") {
			t.Fatalf("Multiline(%q) = %q changed the number of lines", s, ml)
		}
		if Multiline(ml) != ml {
			t.Fatalf("Multiline(Multiline(%q)) changed again", s)
		}
	})
}

func BenchmarkSanitizeClean(b *testing.B) {
	s := "2026-11-03T10:15:00Z directory DeleteUser alice@example.com 203.0.113.7 Mozilla/5.0 (X11; Linux x86_64)"
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		if String(s) != s {
			b.Fatal("changed")
		}
	}
}

func BenchmarkSanitizeCleanUnicode(b *testing.B) {
	s := "Zoë Müller 東京 — ünïcödé ≠ ASCII, still clean text of a typical length"
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		_ = String(s)
	}
}

func BenchmarkSanitizeHostile(b *testing.B) {
	s := "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\ \u202Eexe.txt\r\x1b[2K"
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		_ = String(s)
	}
}
