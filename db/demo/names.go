package demo

import "math/rand/v2"

// person is a generated name: given and family as stored, and the display
// name as the person's own culture writes it.
type person struct {
	given, family, display string
}

// featured are the first generated students whatever the seed, so every demo
// holds the names that break naive code: accents, apostrophes, hyphens,
// non-Latin scripts, family-name-first order, a single name with no family
// name, a very long name.
var featured = []person{
	{"Zoë", "O'Brien", "Zoë O'Brien"},
	{"José", "Núñez", "José Núñez"},
	{"민준", "김", "김민준"},
	{"Αλέξανδρος", "Παπαδόπουλος", "Αλέξανδρος Παπαδόπουλος"},
	{"محمد", "العلي", "محمد العلي"},
	{"Thị Hoa", "Nguyễn", "Nguyễn Thị Hoa"},
	{"François-Xavier", "L'Écuyer", "François-Xavier L'Écuyer"},
	{"Siobhán", "Ní Bhriain", "Siobhán Ní Bhriain"},
	{"陽菜", "佐藤", "佐藤 陽菜"},
	{"Олена", "Коваленко", "Олена Коваленко"},
	{"Aditi", "", "Aditi"},
	{"Maria da Conceição", "Albuquerque de Vasconcelos e Sá", "Maria da Conceição Albuquerque de Vasconcelos e Sá"},
	{"伟", "王", "王伟"},
	{"Søren", "Kierkegård", "Søren Kierkegård"},
	{"अनन्या", "शर्मा", "अनन्या शर्मा"},
	{"Noa", "בן-דוד", "Noa בן-דוד"},
}

// culture is a pool of names written one way.
type culture struct {
	given, family []string
	familyFirst   bool // display as "family given"
	joined        bool // no space between family and given (Korean, Chinese)
}

var cultures = []culture{
	{given: []string{"Emma", "Liam", "Olivia", "Noah", "Chloé", "Mateo", "Zoë", "Léa", "Renée", "Björn", "Ægir", "Małgorzata", "Jürgen", "Ana Lucía", "Seán", "D'Arcy", "Jean-Luc", "Inés", "Øystein", "Çağla"},
		family: []string{"Smith", "O'Connor", "García", "Müller", "Dubois", "Núñez", "Kowalski", "D'Angelo", "MacDonald", "van der Berg", "Łukasiewicz", "Ó Ceallaigh", "Schäfer", "Ferrández", "Brontë", "Smith-Jones", "de la Cruz", "Yılmaz", "Håkansson", "Ñañez"}},
	{given: []string{"민준", "서연", "지호", "하은"}, family: []string{"김", "이", "박", "최"}, familyFirst: true, joined: true},
	{given: []string{"伟", "芳", "静", "磊"}, family: []string{"王", "李", "张", "刘"}, familyFirst: true, joined: true},
	{given: []string{"陽菜", "蓮", "さくら", "翔太"}, family: []string{"佐藤", "鈴木", "高橋", "田中"}, familyFirst: true},
	{given: []string{"Văn An", "Thị Hoa", "Minh Đức", "Ngọc Ánh"}, family: []string{"Nguyễn", "Trần", "Lê", "Phạm"}, familyFirst: true},
	{given: []string{"Αλέξανδρος", "Μαρία", "Γιώργος", "Ελένη"}, family: []string{"Παπαδόπουλος", "Νικολάου", "Γεωργίου"}},
	{given: []string{"محمد", "فاطمة", "علي", "ليلى"}, family: []string{"العلي", "حسن", "الخطيب"}},
	{given: []string{"Олена", "Дмитрий", "Анна", "Сергей"}, family: []string{"Коваленко", "Иванов", "Петрова"}},
	{given: []string{"अनन्या", "राहुल", "प्रिया"}, family: []string{"शर्मा", "पटेल", "गुप्ता"}},
	{given: []string{"Amara", "Chidi", "Ngozi", "Kwame", "Thandiwe"}, family: []string{"Okafor", "Mensah", "Ndlovu", "Adébáyọ̀"}},
}

// cultureWeights makes Latin-script names the majority, as in most schools
// using the app, while every script still shows up in a class of forty.
var cultureWeights = []int{10, 1, 1, 1, 1, 1, 1, 1, 1, 2}

func randomPerson(r *rand.Rand) person {
	total := 0
	for _, w := range cultureWeights {
		total += w
	}
	n := r.IntN(total)
	c := cultures[0]
	for i, w := range cultureWeights {
		if n < w {
			c = cultures[i]
			break
		}
		n -= w
	}
	g := c.given[r.IntN(len(c.given))]
	f := c.family[r.IntN(len(c.family))]
	switch {
	case c.joined:
		return person{g, f, f + g}
	case c.familyFirst:
		return person{g, f, f + " " + g}
	default:
		return person{g, f, g + " " + f}
	}
}
