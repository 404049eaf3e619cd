package reports

import "github.com/pdis/collab-ledger/domain"

// knownMinistries are the official names of the Executive Yuan's
// ministries, councils and the agencies the ledger meets, by the codes the
// PO registry uses. The registry (registry.ministry_registered) records one
// name, in Chinese; this table gives the English name, and the Chinese one
// for a code the log never registered.
var knownMinistries = map[string][2]string{
	"ey":        {"行政院", "Executive Yuan"},
	"moi":       {"內政部", "Ministry of the Interior"},
	"mofa":      {"外交部", "Ministry of Foreign Affairs"},
	"mnd":       {"國防部", "Ministry of National Defense"},
	"mof":       {"財政部", "Ministry of Finance"},
	"moe":       {"教育部", "Ministry of Education"},
	"moj":       {"法務部", "Ministry of Justice"},
	"moea":      {"經濟部", "Ministry of Economic Affairs"},
	"mot":       {"交通部", "Ministry of Transportation and Communications"},
	"motc":      {"交通部", "Ministry of Transportation and Communications"},
	"mol":       {"勞動部", "Ministry of Labor"},
	"moa":       {"農業部", "Ministry of Agriculture"},
	"mohw":      {"衛生福利部", "Ministry of Health and Welfare"},
	"moenv":     {"環境部", "Ministry of Environment"},
	"moc":       {"文化部", "Ministry of Culture"},
	"moda":      {"數位發展部", "Ministry of Digital Affairs"},
	"nstc":      {"國家科學及技術委員會", "National Science and Technology Council"},
	"ndc":       {"國家發展委員會", "National Development Council"},
	"mac":       {"大陸委員會", "Mainland Affairs Council"},
	"fsc":       {"金融監督管理委員會", "Financial Supervisory Commission"},
	"oac":       {"海洋委員會", "Ocean Affairs Council"},
	"ocac":      {"僑務委員會", "Overseas Community Affairs Council"},
	"vac":       {"國軍退除役官兵輔導委員會", "Veterans Affairs Council"},
	"cip":       {"原住民族委員會", "Council of Indigenous Peoples"},
	"hac":       {"客家委員會", "Hakka Affairs Council"},
	"pcc":       {"公共工程委員會", "Public Construction Commission"},
	"nusc":      {"核能安全委員會", "Nuclear Safety Commission"},
	"cbc":       {"中央銀行", "Central Bank of the Republic of China (Taiwan)"},
	"npm":       {"國立故宮博物院", "National Palace Museum"},
	"dgbas":     {"行政院主計總處", "Directorate-General of Budget, Accounting and Statistics"},
	"dgpa":      {"行政院人事行政總處", "Directorate-General of Personnel Administration"},
	"cec":       {"中央選舉委員會", "Central Election Commission"},
	"ftc":       {"公平交易委員會", "Fair Trade Commission"},
	"ncc":       {"國家通訊傳播委員會", "National Communications Commission"},
	"mohw-nhia": {"中央健康保險署", "National Health Insurance Administration"},
	"mohw-fda":  {"食品藥物管理署", "Food and Drug Administration"},
	"mohw-cdc":  {"疾病管制署", "Centers for Disease Control"},
}

// ministryName returns a ministry's or agency's name in Chinese and
// English: the Chinese name the registry recorded (as of the report's
// position), else the known one; the known English name, else the Chinese
// name with the code. A code nobody named stays a code.
func ministryName(reg map[string]domain.MinistryInfo, code string) (zh, en string) {
	known, isKnown := knownMinistries[code]
	info, registered := reg[code]
	switch {
	case registered && info.Name != "":
		zh = info.Name
	case isKnown:
		zh = known[0]
	default:
		return code, code
	}
	if isKnown {
		return zh, known[1]
	}
	return zh, zh + " (" + code + ")"
}

// KnownMinistry returns the official Chinese and English names of a
// ministry code the ledger knows without the registry, and whether it
// knows it.
func KnownMinistry(code string) (zh, en string, ok bool) {
	known, ok := knownMinistries[code]
	return known[0], known[1], ok
}
