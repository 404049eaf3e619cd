package readmodels

import "testing"

// TestCountyOf: the county strings Join gives, and the ones a robust
// reading must survive, each to its county or to a named bucket.
func TestCountyOf(t *testing.T) {
	for raw, want := range map[string]string{
		"臺北市": "taipei-city", "台北市": "taipei-city", " 臺中市 ": "taichung-city", "台東縣": "taitung-county",
		"新北市": "new-taipei-city", "臺北縣": "new-taipei-city", "桃園縣": "taoyuan-city", "高雄縣": "kaohsiung-city",
		"臺南縣": "tainan-city", "臺中縣": "taichung-city",
		"Taipei City": "taipei-city", "kaohsiung": "kaohsiung-city", "Hsinchu County": "hsinchu-county", "Hsinchu": CountyUnreadable,
		"連江縣": "lienchiang-county", "金門縣": "kinmen-county",
		"其它": CountyOther, "其他": CountyOther, "": CountyNotGiven, "  ": CountyNotGiven,
		// Join's export garbled one character of some names: three U+FFFD
		"高\ufffd\ufffd\ufffd市": "kaohsiung-city", "\ufffd\ufffd\ufffd雄市": "kaohsiung-city", "臺北\ufffd\ufffd\ufffd": "taipei-city",
		"南投\ufffd\ufffd\ufffd": "nantou-county", "彰\ufffd\ufffd\ufffd縣": "changhua-county", "\ufffd\ufffd\ufffd竹市": "hsinchu-city",
		"臺\ufffd\ufffd\ufffd市": CountyUnreadable,                                 // 臺北市, 臺中市, 臺南市
		"\ufffd\ufffd\ufffd北市": CountyUnreadable,                                 // 臺北市, 新北市
		"高雄\xe5\xb8":           "kaohsiung-city", "新竹\xe5\xb8": CountyUnreadable, // cut mid-character: invalid UTF-8; 新竹市 or 新竹縣
		"火星市": CountyUnreadable,
	} {
		if got := CountyOf(raw); got != want {
			t.Errorf("CountyOf(%q) = %q, want %q", raw, got, want)
		}
	}
}
