// steer_one: palign used as a library — load a model and a person's steering file, answer one prompt steered.
//   steer_one MODEL.gguf PERSON.steer.gguf "prompt" [n_predict]
// Built against an installed palign (examples/CMakeLists.txt: find_package(palign)); prints the greedy reply,
// the same text as `palign chat -m MODEL.gguf -s PERSON.steer.gguf -p "prompt" --temp 0`.
#include <palign/palign.h>

#include <cstdio>
#include <cstdlib>

int main(int argc, char ** argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s MODEL.gguf PERSON.steer.gguf \"prompt\" [n_predict]\n", argv[0]);
        return 2;
    }
    try {
        palign::model m({argv[1]});
        const auto person = palign::load_steer_for(m, argv[2]);   // checked against this model
        if (!person) {   // an empty path means "no steering" to load_steer_for; this example needs one
            fprintf(stderr, "steer_one: error: no steering file given\n");
            return 2;
        }
        palign::context ctx(m);
        palign::chat_session_params p;
        p.n_predict = argc > 4 ? atoi(argv[4]) : 64;
        p.smp.temp = 0;                                             // greedy
        palign::chat_session chat(ctx, p, &person->st);
        printf("%s\n", chat.reply(argv[3]).c_str());
    } catch (const palign::error & e) {
        fprintf(stderr, "steer_one: error: %s\n", e.what());
        return 1;
    }
    return 0;
}
