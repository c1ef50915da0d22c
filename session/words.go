package session

// Session ids are read aloud from a pulpit and typed on phones, so the words
// are short, plain, and drawn from a Christian/Bible vocabulary.

func adjectives() []string {
	return []string{
		"abiding", "able", "anointed", "ardent", "awake", "beloved", "blessed", "bold", "bountiful", "bright",
		"brave", "calm", "candid", "caring", "chosen", "clean", "clear", "comforting", "constant", "content",
		"courageous", "devoted", "diligent", "divine", "eager", "earnest", "enduring", "eternal", "exalted", "faithful",
		"fervent", "fruitful", "forgiving", "free", "gentle", "generous", "glad", "glorious", "good", "gracious",
		"grateful", "guiding", "happy", "healing", "hallowed", "heavenly", "helpful", "holy", "honest", "hopeful",
		"humble", "joyful", "just", "kind", "kingly", "lasting", "lively", "living", "loving", "loyal",
		"meek", "merciful", "mighty", "mindful", "modest", "noble", "obedient", "patient", "peaceful", "pious",
		"prayerful", "precious", "pure", "quiet", "radiant", "ready", "redeemed", "rejoicing", "restful", "restored",
		"reverent", "righteous", "royal", "sacred", "serene", "sincere", "singing", "steadfast", "still", "strong",
		"sure", "tender", "thankful", "trusting", "true", "trusted", "upright", "valiant", "victorious", "vigilant",
		"watchful", "willing", "wise", "worthy", "zealous", "golden", "shining", "steady", "kindly", "lowly",
	}
}

func nouns() []string {
	return []string{
		"altar", "angel", "anchor", "apostle", "ark", "banner", "beacon", "bell", "blessing", "branch",
		"bread", "bridge", "candle", "cedar", "chalice", "choir", "covenant", "cross", "crown", "cup",
		"dawn", "disciple", "dove", "eagle", "elder", "fig", "fisher", "flame", "flock", "fountain",
		"garden", "gate", "gift", "glory", "grace", "grape", "harp", "harvest", "haven", "heart",
		"herald", "hill", "hope", "hymn", "jubilee", "journey", "lamb", "lamp", "lantern", "light",
		"lily", "lion", "manna", "meadow", "mercy", "message", "mountain", "myrrh", "oak", "olive",
		"palm", "parable", "pasture", "path", "pearl", "pilgrim", "praise", "prayer", "promise", "prophet",
		"psalm", "refuge", "river", "rock", "rose", "sabbath", "sanctuary", "scroll", "seed", "servant",
		"shelter", "shepherd", "shield", "spring", "star", "steward", "stone", "sparrow", "temple", "throne",
		"tower", "tree", "trumpet", "valley", "vine", "vineyard", "voice", "well", "wheat", "witness",
		"word", "wisdom", "zion", "cornerstone", "feast", "fish", "gospel", "kingdom", "morning", "spirit",
	}
}

// blockedWords never appear in an id, whatever the lists above grow into:
// words that read badly in a public URL or next to a number.
func blockedWords() []string {
	return []string{"devil", "satan", "hell", "demon", "beast", "sin", "death", "dead", "blood", "curse", "damned", "wrath", "serpent", "idol", "harlot"}
}
