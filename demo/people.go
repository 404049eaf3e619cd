package demo

import "github.com/pdis/collab-ledger/domain"

// Person is one of the demo's people a visitor may act as (the
// development sign-in of `make demo`).
type Person struct {
	// Label names them, in Traditional Chinese and English.
	Label string
	Actor domain.Actor
}

// People returns one person of each role the demo records, for the
// development sign-in; citizen is the visitor's own citizen pseudonym.
func People(citizen domain.SignerID) []Person {
	return []Person{
		{"公民 Citizen", domain.Actor{ID: string(citizen), Role: domain.RoleCitizen}},
		{"內政部主任PO Chief PO, MOI", po("po-moi-chief", "moi")},
		{"PDIS 主持人 PDIS host", host},
		{"速記 Stenographer", steno},
		{"行政院秘書處 EY secretariat", eySec},
		{"內政部 Ministry of the Interior", official("moi")},
	}
}
