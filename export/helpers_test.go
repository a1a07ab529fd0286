package export_test

import "golang.org/x/text/language"

var nl = language.Dutch
